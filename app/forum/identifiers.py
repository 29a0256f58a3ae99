"""Spotting text that looks like patient identifiers (HIPAA Safe Harbor-style) in a post.

The preview shows the findings and asks the author to confirm or edit: it is advice, not a
block, so the rules favour precision on ordinary clinical-education prose ("a 45-year-old
patient", "PGY-2", "2 mg", "07:30", "2019", "Dr. Osei") over catching every identifier.

Every pattern is linear: bounded repetitions, no nested unbounded quantifiers, and
lookbehinds so that a long run of digits or titles is not retried at every offset.
"""

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

EXCERPT_LENGTH = 40


@dataclass(frozen=True)
class Finding:
    kind: str
    label: str
    excerpt: str
    line: int


@dataclass(frozen=True)
class _Rule:
    kind: str
    label: str
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool] | None = None


_SP = r"[ \t]{1,3}"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_ORDINAL = rf"{_DAY}(?:st|nd|rd|th)?"
# Title case only, so that "may" the verb is never a month.
_MONTH_NAME = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)


def _numeric_date(sep: str, year: str) -> str:
    return rf"(?:{_DAY}{sep}{_MONTH}|{_MONTH}{sep}{_DAY}){sep}{year}"


# 14/03/1962, 3/14/62, 14-03-1962, 14.03.1962, 1962-03-14, 1962/03/14. Two-digit years
# only with slashes: "3-4-10" and "2.1.10" are more often scores or versions.
_NUMERIC_DATE_BODY = (
    "(?:"
    + "|".join(
        (
            _numeric_date("/", rf"(?:{_YEAR}|\d{{2}})"),
            _numeric_date("-", _YEAR),
            _numeric_date(r"\.", _YEAR),
            rf"{_YEAR}-{_MONTH}-{_DAY}",
            rf"{_YEAR}/{_MONTH}/{_DAY}",
        )
    )
    + r")(?![/-]?\d)"
)
_NUMERIC_DATE = rf"(?<![\d/.-]){_NUMERIC_DATE_BODY}"
_WRITTEN_DATE = (
    rf"(?:(?<!\d){_ORDINAL}{_SP}(?:of{_SP})?{_MONTH_NAME},?{_SP}{_YEAR}"
    rf"|\b{_MONTH_NAME}{_SP}{_ORDINAL},?{_SP}{_YEAR})(?!\d)"
)
# After "born" or "DOB" a partial date (day and month, or month and year) is enough.
_PARTIAL_DATE = (
    rf"(?:{_ORDINAL}{_SP}(?:of{_SP})?{_MONTH_NAME}|{_MONTH_NAME}{_SP}{_ORDINAL}"
    rf"|{_MONTH_NAME}{_SP}{_YEAR})(?!\d)"
)
_BIRTH_WORD = (
    r"\b(?i:dob|d\.o\.b\.?|date[ \t]of[ \t]birth|birth[ \t]?date|birthday"
    r"|born(?:[ \t]on|[ \t]in)?)"
)

_RECORD_KEY = r"(?i:number|num|no\.?|id|#)"
_RECORD_WORD = (
    rf"(?:MRN|CSN|FIN|(?i:medical[ \t]records?|records?|charts?|account|acct|encounter"
    rf"|accession)(?:[ \t]{_RECORD_KEY})?|(?i:hospital|patient|case|unit|visit)[ \t]{_RECORD_KEY})"
)

_PHONE_WORD = r"\b(?i:tel|telephone|phone|call|pager|bleep|fax|mobile|cell)\b\.?"
_PHONE = "|".join(
    (
        # North American: (617) 555-0142, 617-555-0142, 617.555.0142, +1 617 555 0142.
        r"(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\d-])",
        # International: +44 20 7946 0958, +44 (0)20 7946 0958, +33 1 23 45 67 89.
        r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(0\)\d{1,5})?(?:[ .-]\d{1,5}){2,6}(?![\d-])",
        r"(?<![\w+])\+\d{8,15}(?!\d)",
        # UK national: 020 7946 0958, 07700 900123.
        r"(?<![\w+])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\d-])",
        # A local number is only a phone number when the text says so: "pager 555-0142".
        rf"{_PHONE_WORD}(?:[ \t](?i:me|us|her|him|them|number|no\.?|at|on)){{0,3}}"
        r"[ \t:#]{0,3}\d{3,4}[-.]\d{4}(?![\d-])",
    )
)

_TITLE = r"(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof)\b"
# "Osei", "O'Brien", "Anne-Marie": a capital, then letters or a joiner before a letter.
_NAME_WORD = r"[A-ZÀ-Þ](?:[a-zß-ÿ]|['\u2019-][A-Za-zÀ-ÿ]){1,30}"
_NAME = rf"(?!{_TITLE})(?P<name>{_NAME_WORD})(?:[ \t]{_NAME_WORD}|[ \t][A-Z]\.)?"
# Capitalised words that follow "patient" or "pt" in headings and prose without being a name.
_NOT_NAMES = frozenset({
    "Safety", "Care", "Experience", "Education", "Advocate", "Advocacy", "Services",
    "Relations", "Portal", "Liaison", "Centered", "Centred", "Voice", "Zero",
    "Who", "And", "Or", "With", "In", "On", "At", "To", "For", "The", "Of", "From", "Is", "Was",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
})  # fmt: skip

_AGE_OVER_89 = r"(?:9\d|1[01]\d)"
_STREET = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr(?!\.?[ \t][A-Z])|Boulevard|Blvd"
    r"|Court|Ct|Place|Pl|Way|Terrace|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy)\b\.?"
)


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _phone_accept(match: re.Match[str]) -> bool:
    return 7 <= _digits(match.group()) <= 15


_YEAR_RANGE = re.compile(r"(?:19|20)\d\d-(?:19|20)?\d\d")


def _record_accept(match: re.Match[str]) -> bool:
    number = match.group("number")
    return _digits(number) >= 5 and not _YEAR_RANGE.fullmatch(number)


def _nhs_accept(match: re.Match[str]) -> bool:
    # NHS numbers carry a modulus-11 check digit, which keeps random 10-digit runs out.
    digits = [int(c) for c in match.group("number") if c.isdigit()]
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11 == digits[9]


def _name_accept(match: re.Match[str]) -> bool:
    return bool(match.group("title")) or match.group("name") not in _NOT_NAMES


def _rule(
    kind: str, label: str, pattern: str, accept: Callable[[re.Match[str]], bool] | None = None
) -> _Rule:
    return _Rule(kind, label, re.compile(pattern, re.ASCII), accept)


# In priority order: where two findings overlap, the earlier rule wins ("DOB 03/14/1962" is
# a date of birth, not also a date; "123-45-6789" is an SSN, not a phone number).
RULES: tuple[_Rule, ...] = (
    _rule(
        "date_of_birth",
        "a date of birth",
        rf"{_BIRTH_WORD}[ \t:#-]{{0,3}}(?:{_NUMERIC_DATE_BODY}|{_WRITTEN_DATE}|{_PARTIAL_DATE})",
    ),
    _rule(
        "ssn",
        "a Social Security number",
        r"\b(?:SSN|(?i:social[ \t]security)(?:[ \t](?i:number|no\.?))?)[ \t:#]{0,3}"
        r"\d{3}[- ]?\d{2}[- ]?\d{4}(?!\d)"
        r"|(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])",
    ),
    _rule(
        "record_number",
        "a medical record, chart or account number",
        rf"\b{_RECORD_WORD}[ \t:#.]{{0,3}}(?P<number>(?:[A-Z]{{1,3}}-?)?\d{{1,12}}"
        r"(?:[- ]\d{2,12}){0,3})(?![\w-])",
        _record_accept,
    ),
    _rule(
        "nhs_number",
        "an NHS number",
        r"(?:\bNHS(?:[ \t](?i:number|no\.?))?[ \t:#]{0,3})?"
        r"(?<![\w+-])(?P<number>\d{3}[ ]?\d{3}[ ]?\d{4})(?![\d-])",
        _nhs_accept,
    ),
    _rule(
        "email",
        "an e-mail address",
        r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,4}"
        r"\.[A-Za-z]{2,24}(?![\w-])",
    ),
    _rule("phone", "a phone or fax number", _PHONE, _phone_accept),
    _rule(
        "date",
        "a full date, such as an admission or discharge date",
        rf"{_NUMERIC_DATE}|{_WRITTEN_DATE}",
    ),
    _rule(
        "age_over_89",
        "an age over 89",
        rf"(?<![\d.]){_AGE_OVER_89}(?:[ \t-]?(?i:years?|yrs?)[ \t-](?i:old)"
        r"|[ \t]?(?i:yo|y/o|y\.o\.?)|[ \t](?i:years?)[ \t]of[ \t]age)(?!\w)"
        rf"|\b(?i:aged?)[ \t:]{{1,3}}{_AGE_OVER_89}(?![\d+]|\.\d)",
    ),
    _rule(
        "named_patient",
        "a patient's name",
        rf"\b(?:[Pp]atient(?:{_SP}(?:named|called))?|[Pp]t|(?P<title>(?:Mr|Mrs|Ms|Mx)\.?|Miss))"
        rf"{_SP}{_NAME}",
        _name_accept,
    ),
    _rule(
        "address",
        "a street address",
        rf"(?<![\w.,/-])\d{{1,5}}[A-Za-z]?{_SP}(?:[A-Z][a-z]{{1,20}}{_SP}){{1,3}}{_STREET}",
    ),
)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def find_identifiers(text: str) -> list[Finding]:
    """What in `text` looks like a patient identifier, in order of appearance."""
    covered = bytearray(len(text))
    found: list[tuple[int, Finding]] = []
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if covered.find(1, start, end) != -1 or (rule.accept and not rule.accept(match)):
                continue
            covered[start:end] = b"\x01" * (end - start)
            line = bisect_right(newlines, start) + 1
            found.append((start, Finding(rule.kind, rule.label, _excerpt(match.group()), line)))
    found.sort(key=lambda item: item[0])
    seen: set[tuple[str, str]] = set()
    findings = []
    for _, finding in found:
        if (finding.kind, finding.excerpt) not in seen:
            seen.add((finding.kind, finding.excerpt))
            findings.append(finding)
    return findings
