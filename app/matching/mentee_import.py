"""Mentees from a CSV file: parsed and checked as a whole, so a file imports all or nothing.

Pure: no Flask, no database. The caller passes the e-mails that already exist."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from app.matching.models import INTERESTS, CareerStage
from app.matching.service import stage_from_text
from app.validators import has_control_characters

COLUMNS = ("name", "email", "specialty", "career_stage", "interests")
HEADER = ",".join(COLUMNS)
MAX_NAME, MAX_EMAIL, MAX_SPECIALTY = 120, 254, 120

Problem = tuple[int, str]


class UnreadableFile(ValueError):
    """The upload is not text we can read as CSV."""


@dataclass(frozen=True)
class MenteeRow:
    line: int
    name: str
    email: str
    specialty: str
    career_stage: CareerStage
    interests: tuple[str, ...]


def decode_upload(data: bytes) -> str:
    """The upload's text: UTF-8, with or without a byte-order mark."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            "The file is not UTF-8 text. In your spreadsheet, choose Save as, "
            "then “CSV UTF-8 (comma delimited)”, and upload that file."
        ) from error
    if "\x00" in text:
        raise UnreadableFile("The file is not a CSV text file.")
    return text


def format_problem(problem: Problem) -> str:
    line, message = problem
    return f"line {line}: {message}"


def parse_mentees_csv(
    text: str, *, existing_emails: Iterable[str] = ()
) -> tuple[list[MenteeRow], list[Problem]]:
    """(rows, problems as (line, message)); callers import nothing when there are problems."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], [(1, f"the file is empty; the first line must be the header {HEADER}")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        positions, problems = _read_header(header)
        if problems:
            return [], problems
        return _read_rows(reader, positions, {e.strip().lower() for e in existing_emails})
    except csv.Error as error:
        return [], [(reader.line_num, f"this is not readable CSV ({error})")]


def _read_header(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    if len(header) == 1 and header[0].count(";") >= len(COLUMNS) - 1:
        return {}, [(1, f"columns are separated by semicolons; use commas: {HEADER}")]
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    unknown = [name for name in names if name and name not in COLUMNS]
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    problems = []
    if missing:
        problems.append((1, f"the header is missing {_columns(missing)}; expected {HEADER}"))
    if unknown:
        problems.append((1, f"the header has {_columns(unknown, 'unknown ')}; expected {HEADER}"))
    if repeated:
        problems.append((1, f"the header repeats {_columns(repeated)}"))
    return {name: names.index(name) for name in COLUMNS if name in names}, problems


def _columns(names: list[str], adjective: str = "") -> str:
    listed = ", ".join(f"'{name}'" for name in names)
    if len(names) == 1:
        return f"{'an' if adjective else 'the'} {adjective}column {listed}"
    return f"the {adjective}columns {listed}"


def _read_rows(
    reader, positions: dict[str, int], existing: set[str]
) -> tuple[list[MenteeRow], list[Problem]]:
    rows, problems = [], []
    first_line_of: dict[str, int] = {}
    width = len(positions)
    line = reader.line_num + 1
    for record in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != width:
            problems.append(
                (start, f"expected {width} values, found {len(record)} (quote values with commas)")
            )
            continue
        values = {column: record[index].strip() for column, index in positions.items()}
        row, row_problems = _check_row(start, values)
        problems.extend((start, message) for message in row_problems)
        if row is None:
            continue
        if row.email in existing:
            problems.append((start, f"there is already a mentee with the e-mail {row.email}"))
        elif row.email in first_line_of:
            problems.append(
                (start, f"the e-mail {row.email} is also on line {first_line_of[row.email]}")
            )
        else:
            first_line_of[row.email] = start
        rows.append(row)
    if not rows and not problems:
        problems.append((2, "there are no mentees after the header line"))
    return rows, problems


def _check_row(line: int, values: dict[str, str]) -> tuple[MenteeRow | None, list[str]]:
    problems = []
    name, specialty = values["name"], values["specialty"]
    if not name:
        problems.append("the name is empty")
    elif len(name) > MAX_NAME:
        problems.append(f"the name is longer than {MAX_NAME} characters")
    if has_control_characters(name) or has_control_characters(specialty):
        problems.append("the name or specialty holds a line break or control character")
    email = _email(values["email"], problems)
    if not specialty:
        problems.append("the specialty is empty")
    elif len(specialty) > MAX_SPECIALTY:
        problems.append(f"the specialty is longer than {MAX_SPECIALTY} characters")
    stage = stage_from_text(values["career_stage"])
    if stage is None:
        allowed = ", ".join(s.label for s in CareerStage)
        problems.append(f"career stage '{values['career_stage']}' is not one of {allowed}")
    interests = _interests(values["interests"], problems)
    if problems or email is None or stage is None:
        return None, problems
    return MenteeRow(line, name, email, specialty, stage, interests), []


def _email(value: str, problems: list[str]) -> str | None:
    if not value:
        problems.append("the e-mail is empty")
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        problems.append(f"'{value}' is not a valid e-mail address")
        return None
    if len(value) > MAX_EMAIL:
        problems.append(f"the e-mail is longer than {MAX_EMAIL} characters")
        return None
    return value.lower()


def _interests(value: str, problems: list[str]) -> tuple[str, ...]:
    chosen = [part.strip().lower() for part in value.split(";") if part.strip()]
    unknown = [interest for interest in chosen if interest not in INTERESTS]
    if unknown:
        listed = ", ".join(f"'{interest}'" for interest in unknown)
        word = "interest" if len(unknown) == 1 else "interests"
        problems.append(f"unknown {word} {listed}; allowed: " + "; ".join(INTERESTS))
    return tuple(sorted(set(chosen)))
