"""Educators changing one course at the same moment, through a served app with real
threads, on SQLite and PostgreSQL: one course per address, every lesson its own number."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from app.auth.models import Role
from app.authoring.models import ContentFile
from app.extensions import db as _db

EDUCATORS = 4


def at_once(served, make_user, path: str, forms: list[dict]) -> list[requests.Response]:
    browsers = []
    for number in range(len(forms)):
        browser = served.signed_in(make_user(Role.EDUCATOR, name=f"Dr. Educator {number}"))
        browsers.append((browser, served.csrf(browser, "/author/")))
    barrier = threading.Barrier(len(forms))

    def send(index: int) -> requests.Response:
        browser, token = browsers[index]
        barrier.wait()
        return browser.post(
            served.url + path, data={**forms[index], "csrf_token": token}, allow_redirects=False
        )

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(send, range(len(forms))))


def paths(prefix: str) -> list[str]:
    _db.session.expire_all()
    rows = _db.session.scalars(
        select(ContentFile.path)
        .where(ContentFile.path.like(f"{prefix}%"))
        .order_by(ContentFile.path)
    )
    return list(rows)


def test_four_educators_creating_one_course_make_one(files, served, make_user):
    form = {"title": "Difficult feedback", "slug": "difficult-feedback", "summary": "Hard to hear."}
    responses = at_once(served, make_user, "/author/courses/new", [form] * EDUCATORS)
    codes = sorted(r.status_code for r in responses)
    assert codes == [302] + [422] * (EDUCATORS - 1), codes
    assert all("already" in r.text for r in responses if r.status_code == 422)
    assert paths("courses/difficult-feedback/") == [
        "courses/difficult-feedback/01-introduction.md",
        "courses/difficult-feedback/course.md",
    ]


def test_four_lessons_added_at_once_each_get_their_own_number(files, served, make_user):
    forms = [{"title": "Closing the conversation"}] * 2 + [{"title": "Follow-up"}] * 2
    responses = at_once(served, make_user, "/author/courses/listening/lessons", forms)
    assert sorted(r.status_code for r in responses) == [302] * EDUCATORS
    names = [p.rsplit("/", 1)[-1] for p in paths("courses/listening/")]
    added = [name for name in names if name[:2].isdigit() and name[:2] >= "04"]
    assert sorted(name[:2] for name in added) == ["04", "05", "06", "07"]
    assert len({name[3:] for name in added}) == EDUCATORS  # four slugs
