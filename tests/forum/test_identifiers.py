"""The pre-publication warning about patient identifiers in forum posts."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.forum.identifiers import EXCERPT_LENGTH, Finding, find_identifiers

WITH_IDENTIFIERS = [
    ("DOB 03/14/1962", "date_of_birth"),
    ("She was born 14 March 1962 in Leeds.", "date_of_birth"),
    ("date of birth: 1962-03-14", "date_of_birth"),
    ("D.O.B. 3/14/62, allergic to penicillin.", "date_of_birth"),
    ("He was born on March 14, 1962.", "date_of_birth"),
    ("Admitted 12/03/2024 and discharged two days later.", "date"),
    ("Seen in clinic on 2024-03-12 with a cough.", "date"),
    ("Admitted 12 March 2024 with pneumonia.", "date"),
    ("Discharged March 12, 2024 after a long stay.", "date"),
    ("Readmitted on the 3rd Jan 2024.", "date"),
    ("Her discharge summary (14.03.2024) was missing.", "date"),
    ("MRN 00482913", "record_number"),
    ("MRN: 4829-1133 on the handover sheet", "record_number"),
    ("Look at record #123456 for the ECG.", "record_number"),
    ("His hospital number 7731902 was on the wristband.", "record_number"),
    ("Encounter 55102934 was never closed.", "record_number"),
    ("Call her daughter on (617) 555-0142.", "phone"),
    ("Her son's number is +44 20 7946 0958.", "phone"),
    ("The ward clerk rang +44 (0)20 7946 0958 twice.", "phone"),
    ("The GP's fax 617.555.0199 was wrong.", "phone"),
    ("Page me, pager 555-0142.", "phone"),
    ("His wife's mobile is 07700 900123.", "phone"),
    ("Family asked us to write to j.smith@example.org instead.", "email"),
    ("His SSN 123-45-6789 was on the form.", "ssn"),
    ("Billing quoted 123-45-6789 back to him.", "ssn"),
    ("NHS number 943 476 5919", "nhs_number"),
    ("I admitted patient John Smith in bay 3.", "named_patient"),
    ("Mrs. Alvarez in bed 4 kept asking for her son.", "named_patient"),
    ("pt Jane D. refused the CT.", "named_patient"),
    ("Mr Okafor was upset about the delay.", "named_patient"),
    ("We had a patient named Sarah who left AMA.", "named_patient"),
    ("A 92-year-old man with a hip fracture.", "age_over_89"),
    ("She was aged 94 and lived alone.", "age_over_89"),
    ("101 yo woman with delirium", "age_over_89"),
    ("He lives at 42 Elm Street, near the clinic.", "address"),
    ("Her flat is at 12 Baker Rd.", "address"),
]

WITHOUT_IDENTIFIERS = [
    "My PGY-2 froze during a code on night float last week.",
    "We met at 07:30 before rounds.",
    "She scored 78% on the in-training exam in 2023.",
    "A 67-year-old with sepsis deteriorated on my watch.",
    "Dr. Osei suggested ask-tell-ask.",
    "Give 2 mg IV.",
    "Step 3 of the GROW model",
    "Room for improvement",
    "A 45-year-old patient presented with chest pain.",
    "The ICU bed shortage made handover rushed.",
    "In March I started precepting the new interns.",
    "See page 42 of the handbook.",
    "Feedback sessions run 15-20 minutes.",
    "He was on call 3 nights in a row.",
    "The patient was anxious, so I paused and asked what she already knew.",
    "Patient Safety Week starts on Monday.",
    "The patient I mentioned last week is doing better.",
    "Our residents rotate every 4 weeks; PGY-1s start in July.",
    "BP was 150/90 and HR 110 on arrival.",
    "I scheduled a debrief for 14:00 on Thursday.",
    "The 2019-2020 cohort had 12 residents.",
    "Dr. Patel and Dr Nguyen co-lead the simulation sessions.",
    "Titrate to 0.5 mcg/kg/min and recheck in 30 minutes.",
    "Read chapter 7, sections 7.2 and 7.3.",
    "Scored 4/5 on the mini-CEX, up from 3/5.",
    "Version 2.1.10 of the app fixed the login bug.",
    "PT and OT saw him on day 2.",
    "Record your reflections in the portfolio by Friday.",
    "Call the senior if you are unsure.",
    "Patients aged 90+ are reported as one group.",
    "Her A1c went from 9.2 to 7.1 over 6 months.",
    "We may 2x the teaching time next year.",
    "My outpatient clinic has 20 slots per session.",
    "I precepted 2 Junior doctors on ward 6 in 2019.",
    "The code lasted 25 minutes; ROSC at minute 18.",
]


@pytest.mark.parametrize(("text", "kind"), WITH_IDENTIFIERS)
def test_identifiers_are_found(text: str, kind: str) -> None:
    assert kind in [finding.kind for finding in find_identifiers(text)]


@pytest.mark.parametrize("text", WITHOUT_IDENTIFIERS)
def test_ordinary_prose_is_left_alone(text: str) -> None:
    assert find_identifiers(text) == []


def test_tables_are_large_enough() -> None:
    assert len(WITH_IDENTIFIERS) >= 25
    assert len(WITHOUT_IDENTIFIERS) >= 25


def test_a_finding_names_the_text_and_says_what_it_looks_like() -> None:
    assert find_identifiers("DOB 03/14/1962") == [
        Finding("date_of_birth", "a date of birth", "DOB 03/14/1962", 1)
    ]


def test_a_date_of_birth_is_not_also_reported_as_a_date() -> None:
    assert [f.kind for f in find_identifiers("born 14 March 1962")] == ["date_of_birth"]


def test_an_ssn_is_not_also_a_phone_number() -> None:
    assert [f.kind for f in find_identifiers("SSN 123-45-6789")] == ["ssn"]


def test_a_ten_digit_number_without_the_nhs_check_digit_is_not_an_nhs_number() -> None:
    assert find_identifiers("ref 9434765918") == []


def test_findings_are_in_order_of_appearance_without_duplicates() -> None:
    text = "Mrs. Alvarez (MRN 00482913), call (617) 555-0142. MRN 00482913 again."
    assert [(f.kind, f.excerpt) for f in find_identifiers(text)] == [
        ("named_patient", "Mrs. Alvarez"),
        ("record_number", "MRN 00482913"),
        ("phone", "(617) 555-0142"),
    ]


def test_line_numbers_count_from_one() -> None:
    text = "Rough night on call.\n\nMrs. Alvarez in bed 4\nwas DOB 03/14/1962,\nand that's all."
    assert [(f.kind, f.line) for f in find_identifiers(text)] == [
        ("named_patient", 3),
        ("date_of_birth", 4),
    ]


def test_long_excerpts_are_trimmed() -> None:
    address = "a.very.long.name.for.a.relative@hospital-trust.example.org"
    [finding] = find_identifiers(f"Write to {address} please.")
    assert finding.kind == "email"
    assert len(finding.excerpt) <= EXCERPT_LENGTH
    assert finding.excerpt.startswith("a.very.long.name")


def test_names_with_apostrophes_and_hyphens_are_whole() -> None:
    text = "Mr O\u2019Brien and pt Anne-Marie Dupont shared a bay."
    assert [f.excerpt for f in find_identifiers(text)] == [
        "Mr O\u2019Brien",
        "pt Anne-Marie Dupont",
    ]


def test_a_finding_is_immutable() -> None:
    finding = find_identifiers("MRN 00482913")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "1" * 20000,
        "Mr. " * 5000,
        "patient " * 2500,
        "a@" * 10000,
        "+1 " * 7000,
        "1/" * 10000,
        "12 March " * 2000,
        "DOB " * 5000,
        "MRN 1-" * 3000,
        "Aaa " * 5000,
        "1 Aaa " * 3000,
        " " * 20000,
        "9" * 10000 + "-year-old",
        "943 476 5919 " * 1500,
    ],
)
def test_adversarial_text_finishes(text: str) -> None:
    assert isinstance(find_identifiers(text), list)


TOKENS = st.sampled_from(
    [
        " ", "\n", "\t", "-", "/", ".", ",", ":", "#", "+", "(", ")", "@", "'",
        "1", "12", "123", "1962", "0142", "MRN", "DOB", "born", "Mr", "Mrs.", "pt",
        "patient", "Dr", "March", "Jane", "Smith", "Street", "Rd", "aged", "year", "old",
        "NHS", "tel", "example.org", "é",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(TOKENS, max_size=60).map("".join)))
def test_never_raises_and_findings_are_well_formed(text: str) -> None:
    findings = find_identifiers(text)
    line_count = text.count("\n") + 1
    for finding in findings:
        assert 1 <= finding.line <= line_count
        assert 0 < len(finding.excerpt) <= EXCERPT_LENGTH
    keys = [(f.kind, f.excerpt) for f in findings]
    assert len(keys) == len(set(keys))
