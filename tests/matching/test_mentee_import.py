"""Mentees from CSV: the pure parser, and the upload that imports all or nothing."""

import html
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.models import Role
from app.matching import service
from app.matching.mentee_import import (
    UnreadableFile,
    decode_upload,
    parse_mentees_csv,
)
from app.matching.models import CareerStage, Mentee
from tests.conftest import client_with_role, csrf_token

HEADER = "name,email,specialty,career_stage,interests\n"
GOOD = (
    HEADER
    + "Dr. Ana Ruiz,ana@hospital.example,Pediatrics,resident,research; teaching\n"
    + "Dr. Bo Chen,BO@hospital.example,Surgery,Early-career attending,\n"
    + '"Dr. Cy, Jr.",cy@hospital.example,Cardiology,FELLOW,Wellbeing\n'
)


def messages(problems) -> list[str]:
    return [f"line {line}: {message}" for line, message in problems]


def test_a_good_file_gives_one_row_per_mentee_with_stage_and_interests():
    rows, problems = parse_mentees_csv(GOOD)
    assert problems == []
    assert [row.name for row in rows] == ["Dr. Ana Ruiz", "Dr. Bo Chen", "Dr. Cy, Jr."]
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[0].interests == ("research", "teaching")
    assert rows[1].email == "bo@hospital.example"
    assert rows[1].career_stage is CareerStage.EARLY_CAREER
    assert rows[1].interests == ()
    assert rows[2].career_stage is CareerStage.FELLOW
    assert rows[2].interests == ("wellbeing",)


def test_a_byte_order_mark_and_windows_line_endings_are_fine():
    text = "\ufeff" + GOOD.replace("\n", "\r\n")
    rows, problems = parse_mentees_csv(text)
    assert problems == []
    assert len(rows) == 3
    assert rows[2].line == 4


def test_an_upload_saved_with_a_byte_order_mark_decodes_to_the_same_rows():
    text = decode_upload(("\ufeff" + GOOD).encode("utf-8"))
    assert parse_mentees_csv(text) == parse_mentees_csv(GOOD)


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message():
    with pytest.raises(UnreadableFile, match="not UTF-8"):
        decode_upload("name,email\nJosé,jose@example.org\n".encode("latin-1"))


def test_a_binary_file_is_refused():
    with pytest.raises(UnreadableFile, match="not a CSV"):
        decode_upload(b"PK\x03\x04\x00\x00binary")


def test_an_unknown_career_stage_is_reported_with_its_line_and_the_allowed_stages():
    text = GOOD + "Dr. Di Intern,di@hospital.example,Surgery,intern,\n"
    _, problems = parse_mentees_csv(text)
    assert messages(problems) == [
        "line 5: career stage 'intern' is not one of Student, Resident, Fellow, "
        "Early-career attending, Mid-career, Senior"
    ]


def test_an_unknown_interest_is_reported_naming_the_allowed_ones():
    text = HEADER + "Dr. Ana Ruiz,ana@hospital.example,Pediatrics,resident,research;golf\n"
    _, problems = parse_mentees_csv(text)
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 2
    assert message.startswith("unknown interest 'golf'; allowed: research; clinical skills")
    assert "global health" in message


def test_a_bad_email_and_empty_fields_are_each_reported_on_their_line():
    text = (
        HEADER
        + "Dr. Ana Ruiz,ana@hospital.example,Pediatrics,resident,\n"
        + "Dr. Bad Mail,not-an-address,Surgery,fellow,\n"
        + ",nobody@hospital.example,,fellow,\n"
    )
    _, problems = parse_mentees_csv(text)
    assert messages(problems) == [
        "line 3: 'not-an-address' is not a valid e-mail address",
        "line 4: the name is empty",
        "line 4: the specialty is empty",
    ]


def test_duplicate_emails_in_the_file_name_the_first_line():
    text = GOOD + "Dr. Ana Again,Ana@Hospital.example,Surgery,senior,\n"
    _, problems = parse_mentees_csv(text)
    assert messages(problems) == ["line 5: the e-mail ana@hospital.example is also on line 2"]


def test_emails_already_in_the_database_are_reported():
    _, problems = parse_mentees_csv(GOOD, existing_emails=["CY@hospital.example"])
    assert messages(problems) == [
        "line 4: there is already a mentee with the e-mail cy@hospital.example"
    ]


def test_a_row_with_the_wrong_number_of_values_is_reported():
    text = HEADER + "Dr. Ana Ruiz,ana@hospital.example,Pediatrics,resident,research,extra\n"
    _, problems = parse_mentees_csv(text)
    assert messages(problems) == ["line 2: expected 5 values, found 6 (quote values with commas)"]


def test_blank_lines_are_skipped_but_counted():
    text = HEADER + "\nDr. Ana Ruiz,ana@hospital.example,Pediatrics,intern,\n"
    rows, problems = parse_mentees_csv(text)
    assert rows == []
    assert problems[0][0] == 3


def test_an_empty_file_is_an_error():
    assert messages(parse_mentees_csv("")[1]) == [
        "line 1: the file is empty; the first line must be the header "
        "name,email,specialty,career_stage,interests"
    ]
    assert parse_mentees_csv("\ufeff  \r\n")[1][0][0] == 1


def test_a_header_without_rows_is_an_error():
    assert messages(parse_mentees_csv(HEADER)[1]) == [
        "line 2: there are no mentees after the header line"
    ]


def test_a_missing_header_column_is_reported_on_line_one():
    text = "name,email,specialty,interests\nDr. Ana Ruiz,ana@hospital.example,Pediatrics,\n"
    rows, problems = parse_mentees_csv(text)
    assert rows == []
    assert messages(problems) == [
        "line 1: the header is missing the column 'career_stage'; "
        "expected name,email,specialty,career_stage,interests"
    ]


def test_header_columns_may_come_in_any_order_and_case():
    text = "Email, Name ,career_stage,INTERESTS,specialty\nana@hospital.example,Ana,student,,ENT\n"
    rows, problems = parse_mentees_csv(text)
    assert problems == []
    assert (rows[0].name, rows[0].email, rows[0].specialty) == (
        "Ana",
        "ana@hospital.example",
        "ENT",
    )


def test_an_unknown_or_repeated_header_column_is_reported():
    text = "name,email,specialty,career_stage,interests,phone,email\n"
    assert messages(parse_mentees_csv(text)[1]) == [
        "line 1: the header has an unknown column 'phone'; "
        "expected name,email,specialty,career_stage,interests",
        "line 1: the header repeats the column 'email'",
    ]


def test_a_file_with_semicolons_between_columns_says_to_use_commas():
    text = GOOD.replace(",", ";").replace("research; teaching", "research")
    assert messages(parse_mentees_csv(text)[1]) == [
        "line 1: columns are separated by semicolons; use commas: "
        "name,email,specialty,career_stage,interests"
    ]


# --- the upload ------------------------------------------------------------------------------


@pytest.fixture
def coordinator(app, make_user):
    return client_with_role(app, make_user, Role.COORDINATOR)


def upload(client, content: bytes, filename: str = "mentees.csv"):
    return client.post(
        "/matching/import",
        data={
            "csrf_token": csrf_token(client, "/matching/"),
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def mentee_count(db) -> int:
    return db.session.scalar(select(func.count(Mentee.id)))


def test_uploading_a_good_file_imports_every_mentee(coordinator, db):
    response = upload(coordinator, GOOD.encode())
    assert response.status_code == 302
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 3 mentees" in page
    assert "Dr. Bo Chen" in page and "Early-career attending" in page
    assert mentee_count(db) == 3


def test_a_file_with_one_bad_row_imports_nothing_and_lists_the_problem(coordinator, db):
    text = GOOD + "Dr. Di Intern,di@hospital.example,Surgery,intern,\n"
    response = upload(coordinator, text.encode())
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Nothing was imported" in page
    assert "line 5: career stage 'intern' is not one of" in page
    assert mentee_count(db) == 0


def test_a_file_repeating_a_mentee_already_in_the_database_imports_nothing(coordinator, db):
    service.add_mentee(
        name="Dr. Cy",
        email="cy@hospital.example",
        specialty="Cardiology",
        career_stage=CareerStage.FELLOW,
        interests=[],
    )
    db.session.commit()
    response = upload(coordinator, GOOD.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "line 4: there is already a mentee with the e-mail cy@hospital.example" in page
    assert mentee_count(db) == 1


def test_a_file_that_is_not_utf8_gets_a_clear_error_not_a_crash(coordinator, db):
    response = upload(coordinator, (HEADER + "José,j@x.org,ENT,student,\n").encode("utf-16"))
    assert response.status_code == 422
    assert "not UTF-8" in response.get_data(as_text=True)
    assert mentee_count(db) == 0


def test_a_file_that_is_not_csv_is_refused_beside_the_field(coordinator, db):
    response = upload(coordinator, b"%PDF-1.7", filename="mentees.pdf")
    assert response.status_code == 422
    assert "Choose a .csv file" in response.get_data(as_text=True)


def test_a_file_over_one_megabyte_is_refused(coordinator, db):
    big = GOOD.encode() + b"x" * (1024 * 1024 + 1)
    response = upload(coordinator, big)
    assert response.status_code == 422
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert mentee_count(db) == 0


def test_posting_without_a_file_says_to_choose_one(coordinator):
    response = coordinator.post(
        "/matching/import", data={"csrf_token": csrf_token(coordinator, "/matching/")}
    )
    assert response.status_code == 422
    assert "Choose a CSV file to import." in response.get_data(as_text=True)


CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["resident", "student", "ana@hospital.example", "research;teaching", '"', ""]),
)
CSV_LIKE = st.lists(st.lists(CELL, max_size=7).map(",".join), max_size=8).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=500), CSV_LIKE.map(lambda rows: HEADER + rows)))
def test_any_text_gives_rows_or_problems_at_real_lines(text):
    rows, problems = parse_mentees_csv(text)  # with problems, callers import nothing
    line_count = max(1, text.count("\n") + text.count("\r") + 1)
    for line, message in problems:
        assert 1 <= line <= line_count and message.strip()
    for row in rows:
        assert 2 <= row.line <= line_count and "@" in row.email


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_say_why(data):
    try:
        decoded = decode_upload(data)
    except UnreadableFile as error:
        assert str(error).strip()
    else:
        assert isinstance(decoded, str)
