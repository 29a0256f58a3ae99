"""Forum handles: made from the name, readable, unique, shown to their owner."""

import pytest

from app.auth.handles import HANDLE, base_handle, unique_handle
from tests.conftest import log_in


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Dr. Tomás Rivera", "tomas-rivera"),
        ("Prof. Anne-Marie O'Neil", "anne-marie-o-neil"),
        ("Dr Wei Zhang", "wei-zhang"),
        ("Ngozi", "ngozi"),
        ("Dr. 李", "member"),  # nothing left in ASCII
        ("X", "member"),
    ],
)
def test_a_handle_is_the_name_in_plain_lower_case_letters(name, handle):
    assert base_handle(name) == handle
    assert HANDLE.fullmatch(base_handle(name))


def test_a_taken_handle_gets_the_next_free_number():
    taken = {"amara-osei", "amara-osei-2"}
    assert unique_handle("Dr. Amara Osei", taken.__contains__) == "amara-osei-3"


def test_a_very_long_name_still_makes_a_handle_that_fits():
    handle = unique_handle("Dr. " + "Bartholomew " * 10, {"x"}.__contains__)
    assert len(handle) <= 40 and HANDLE.fullmatch(handle)


def test_two_people_with_the_same_name_get_different_handles(make_user):
    first = make_user(name="Dr. Sam Lee")
    second = make_user(name="Dr. Sam Lee")
    assert (first.handle, second.handle) == ("sam-lee", "sam-lee-2")


def test_members_see_their_handle_on_their_page(client, make_user):
    user = make_user(name="Dr. Ana Silva")
    log_in(client, user)
    assert "@ana-silva" in client.get("/me/").get_data(as_text=True)
