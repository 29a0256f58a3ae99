"""Forum fixtures: the seeded categories, members by role, and helpers that post as a
browser would (through the pages, with CSRF tokens)."""

import re

import pytest
from flask.testing import FlaskClient

from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Category, Post, Thread
from tests.conftest import log_in, post_form


@pytest.fixture
def categories(app) -> dict[str, Category]:
    forum.seed_default_categories()
    _db.session.commit()
    return {category.slug: category for category in forum.categories()}


@pytest.fixture
def as_user(app, make_user):
    """as_user(*roles) -> (user, signed-in client)."""

    def sign_in(*roles: Role, name: str | None = None) -> tuple[User, FlaskClient]:
        user = make_user(*roles, name=name)
        client = app.test_client()
        log_in(client, user)
        return user, client

    return sign_in


def start_thread(
    author: User,
    category: Category,
    title: str = "How do you give feedback after a tough case?",
    body: str = "Opening post: what has worked for you?",
    **kwargs,
) -> Thread:
    """Straight through the service, for setting the scene."""
    thread = forum.start_thread(author, category, title=title, body=body, now=utcnow(), **kwargs)
    _db.session.commit()
    return thread


def add_reply(author: User, thread: Thread, body: str = "A reply.", **kwargs) -> Post:
    post = forum.reply(author, _db.session.merge(thread), body, now=utcnow(), **kwargs)
    _db.session.commit()
    return post


def publish(client: FlaskClient, url: str, data: dict, form_url: str | None = None):
    """Press "Post" on a compose form."""
    return post_form(client, url, {"action": "post", **data}, form_url)


def text_of(response) -> str:
    """The page's visible text, tags removed, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
