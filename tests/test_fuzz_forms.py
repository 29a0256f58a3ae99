"""Whatever a person types into a form, the answer is a page, never a server error:
hypothesis fills the real forms' fields (and extra ones) with arbitrary text, on SQLite
and PostgreSQL, as the role that may use each form."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth.models import Role
from app.forum import service as forum
from tests.conftest import client_with_role, csrf_token
from tests.forum.conftest import start_thread

# Text a person can type or paste: any Unicode but NUL (refused up front, tested apart).
TYPED = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=300
)
NUMBERISH = st.one_of(st.integers(-(10**12), 10**12).map(str), TYPED)
BOOLEANISH = st.sampled_from(["y", "n", "", "on", "true", "0"])

FORMS = {
    "login": (None, "/auth/login", {"email": TYPED, "password": TYPED, "remember": BOOLEANISH}),
    "forgot": (None, "/auth/forgot", {"email": TYPED}),
    "invite": (Role.COORDINATOR, "/auth/invite", {"email": TYPED, "roles": TYPED}),
    "profile": (
        Role.MENTOR,
        "/me/profile",
        {
            "specialty": TYPED,
            "career_stage": TYPED,
            "interests": TYPED,
            "capacity": NUMBERISH,
            "open_to_other_specialties": BOOLEANISH,
        },
    ),
    "mentee": (
        Role.COORDINATOR,
        "/matching/mentees",
        {
            "name": TYPED,
            "email": TYPED,
            "specialty": TYPED,
            "career_stage": TYPED,
            "interests": TYPED,
        },
    ),
    "accommodation": (
        Role.COORDINATOR,
        "/quizzes/accommodations",
        {"email": TYPED, "multiplier": NUMBERISH, "untimed": BOOLEANISH, "note": TYPED},
    ),
    "new thread": (
        Role.MENTOR,
        "/forum/c/introductions/new",
        {
            "title": TYPED,
            "body": TYPED,
            "anonymous": BOOLEANISH,
            "confirm_identifiers": BOOLEANISH,
            "action": st.sampled_from(["post", "preview", "", "other"]),
        },
    ),
    "reply": (
        Role.MENTOR,
        "/forum/t/1/reply",
        {"body": TYPED, "action": st.sampled_from(["post", "preview", ""]), "quote": NUMBERISH},
    ),
    "category": (
        Role.ADMIN,
        "/forum/categories/",
        {"name": TYPED, "description": TYPED, "allow_anonymous": BOOLEANISH},
    ),
}


@pytest.fixture
def forum_ready(app, db, make_user):
    forum.seed_default_categories()
    db.session.commit()
    start_thread(make_user(Role.MENTOR), forum.get_category("introductions"))


@pytest.mark.parametrize("form", FORMS, ids=str)
def test_no_form_answers_a_server_error(app, synced, forum_ready, make_user, form):
    role, url, fields = FORMS[form]
    client = client_with_role(app, make_user, role) if role else app.test_client()
    form_page = "/forum/t/1/" if url.endswith("/reply") else url
    token = csrf_token(client, form_page)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries(fields, optional={"unexpected": TYPED}))
    def post_anything(data):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, data, response.status_code)

    post_anything()
