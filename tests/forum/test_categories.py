"""The admins' category pages: add, rename, reorder; no one else may."""

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db as _db
from app.forum.models import Category
from tests.conftest import csrf_token, post_form
from tests.forum.conftest import text_of

MANAGE = "/forum/categories/"
SEEDED_ORDER = [
    "introductions",
    "communication",
    "goal-setting",
    "common-challenges",
    "peer-connections",
]


def index_order(client: FlaskClient) -> list[str]:
    """The category slugs /forum/ lists, in order."""
    html = client.get("/forum/").get_data(as_text=True)
    return re.findall(r'<h2><a href="/forum/c/([^/"]+)/">', html)


def add_category(client: FlaskClient, name: str, description: str = "", anonymous: bool = False):
    data = {"name": name, "description": description}
    if anonymous:
        data["allow_anonymous"] = "y"
    return post_form(client, MANAGE, data)


def save_category(client: FlaskClient, category: Category, **fields):
    """Press "Save" on one category's form: its fields (CSRF token included) are prefixed."""
    prefix = f"c{category.id}-"
    data = {prefix + name: value for name, value in fields.items()}
    data[prefix + "csrf_token"] = csrf_token(client, MANAGE)
    return client.post(f"/forum/categories/{category.id}", data=data)


def move(client: FlaskClient, category: Category, direction: str):
    return post_form(
        client, f"/forum/categories/{category.id}/move", {"direction": direction}, MANAGE
    )


def category_rows() -> list[tuple]:
    _db.session.expire_all()
    query = select(
        Category.id,
        Category.slug,
        Category.name,
        Category.description,
        Category.position,
        Category.allow_anonymous,
    )
    return sorted(_db.session.execute(query).all())


@pytest.fixture
def admin(as_user) -> FlaskClient:
    return as_user(Role.ADMIN)[1]


@pytest.mark.parametrize(
    "role", [Role.MENTOR, Role.EDUCATOR, Role.COORDINATOR], ids=lambda role: role.value
)
def test_only_admins_manage_categories(as_user, categories, role):
    _, client = as_user(role)
    before = category_rows()
    communication = categories["communication"]

    assert client.get(MANAGE).status_code == 403
    assert add_category(client, "Sneaky new corner").status_code == 403
    renamed = client.post(
        f"/forum/categories/{communication.id}",
        data={
            f"c{communication.id}-name": "Renamed",
            "csrf_token": csrf_token(client, "/forum/"),
        },
    )
    assert renamed.status_code == 403
    moved = post_form(
        client, f"/forum/categories/{communication.id}/move", {"direction": "up"}, "/forum/"
    )
    assert moved.status_code == 403

    assert category_rows() == before
    assert MANAGE not in client.get("/forum/").get_data(as_text=True)


def test_an_admin_adds_a_category_members_can_open(admin, categories, as_user):
    response = add_category(admin, "Teaching on call", "Bedside teaching at 3 a.m.", anonymous=True)
    assert response.status_code == 302
    assert "Category Teaching on call added." in text_of(admin.get(response.headers["Location"]))

    _, mentor = as_user(Role.MENTOR)
    assert index_order(mentor) == [*SEEDED_ORDER, "teaching-on-call"]
    page = mentor.get("/forum/c/teaching-on-call/")
    assert page.status_code == 200
    assert "Teaching on call" in text_of(page)
    assert "Bedside teaching at 3 a.m." in text_of(page)
    new_thread_form = mentor.get("/forum/c/teaching-on-call/new").get_data(as_text=True)
    assert 'name="anonymous"' in new_thread_form


def test_a_category_named_like_another_gets_its_own_address(admin, categories):
    for _ in range(2):
        assert add_category(admin, "Case reviews").status_code == 302
    assert index_order(admin)[-2:] == ["case-reviews", "case-reviews-2"]
    for slug in ("case-reviews", "case-reviews-2"):
        assert "Case reviews" in text_of(admin.get(f"/forum/c/{slug}/"))


def test_a_long_name_used_twice_still_fits_its_address(admin, categories):
    name = "Supporting residents through difficult rotations and long nights on call"
    for _ in range(2):
        assert add_category(admin, name).status_code == 302
    slugs = [slug for slug in index_order(admin) if slug not in SEEDED_ORDER]
    assert len(set(slugs)) == 2
    assert all(len(slug) <= 60 for slug in slugs)


@pytest.mark.parametrize("name", ["", "   "])
def test_a_category_needs_a_name(admin, categories, name):
    before = category_rows()
    response = add_category(admin, name, "No name given")
    assert response.status_code == 422
    assert "Name the category." in text_of(response)
    assert category_rows() == before


def test_an_admin_renames_a_category_and_its_address_stays(admin, categories, as_user):
    challenges = categories["common-challenges"]
    response = save_category(
        admin, challenges, name="Hard moments", description="When mentoring gets heavy."
    )
    assert response.status_code == 302
    assert "Category Hard moments saved." in text_of(admin.get(response.headers["Location"]))

    _, mentor = as_user(Role.MENTOR)
    index = text_of(mentor.get("/forum/"))
    assert "Hard moments" in index and "When mentoring gets heavy." in index
    assert "Common challenges" not in index
    assert "Hard moments" in text_of(mentor.get("/forum/c/common-challenges/"))
    # The box was left unticked: anonymous posting is now off there.
    new_thread_form = mentor.get("/forum/c/common-challenges/new").get_data(as_text=True)
    assert 'name="anonymous"' not in new_thread_form


def test_renaming_to_nothing_is_refused_with_a_message(admin, categories):
    before = category_rows()
    response = save_category(admin, categories["communication"], name="", description="")
    assert "Name the category." in text_of(admin.get(response.headers["Location"]))
    assert category_rows() == before


def test_an_admin_reorders_the_categories(admin, categories):
    move(admin, categories["peer-connections"], "up")
    assert index_order(admin) == [
        "introductions",
        "communication",
        "goal-setting",
        "peer-connections",
        "common-challenges",
    ]
    move(admin, categories["introductions"], "down")
    assert index_order(admin)[:2] == ["communication", "introductions"]
    # Past either end nothing moves.
    move(admin, categories["communication"], "up")
    assert index_order(admin)[0] == "communication"
