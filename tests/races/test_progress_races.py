"""Writes that no longer take SQLite's write lock up front, or that refresh a stored row
from what the transaction reads, under real concurrency on SQLite and PostgreSQL: one
mentor finishing several lessons in several tabs leaves a stored standing equal to a
fresh computation; several tabs opening a long thread at once leave one read marker, at
the furthest post, and no error."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests
from sqlalchemy import select

from app.certification.models import MentorStanding
from app.certification.standing import rebuild_all
from app.courses import service as courses
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import ThreadRead
from tests.forum.conftest import start_thread
from tests.forum.test_posting import grow

TABS = 4


def stored_row(user_id: int) -> tuple:
    _db.session.expire_all()
    row = _db.session.get(MentorStanding, (user_id, 1))
    return tuple(getattr(row, c.name) for c in MentorStanding.__table__.columns)


def test_lessons_finished_in_four_tabs_at_once_are_all_counted(served, synced, mentor):
    paths = [
        f"/courses/{slug}/{lesson.slug}/"
        for slug in ("listening", "goals")
        for lesson in courses.course_progress(mentor, courses.get_course(slug)).lessons
    ][:TABS]
    browser = served.signed_in(mentor)
    tokens = [served.csrf(browser, path) for path in paths]
    barrier = Barrier(TABS)

    def finish(index: int) -> int:
        tab = requests.Session()
        tab.cookies.update(browser.cookies)
        barrier.wait()
        response = tab.post(
            served.url + paths[index] + "complete",
            data={"csrf_token": tokens[index]},
            allow_redirects=False,
        )
        return response.status_code

    with ThreadPoolExecutor(TABS) as pool:
        statuses = list(pool.map(finish, range(TABS)))

    assert statuses == [302] * TABS
    kept = stored_row(mentor.id)
    assert kept[MentorStanding.__table__.columns.keys().index("lessons_done")] == TABS
    rebuild_all(_db.session.connection())
    assert stored_row(mentor.id) == kept, "the stored standing equals a fresh computation"
    _db.session.rollback()


@pytest.fixture
def config_overrides() -> dict:
    return {"FORUM_POSTS_PER_MINUTE": 1000}  # the scene is set faster than anyone posts


def test_four_tabs_opening_a_long_thread_leave_one_marker_at_the_end(served, make_user):
    forum.seed_default_categories()
    category = next(c for c in forum.categories() if c.slug == "communication")
    authors = [make_user() for _ in range(2)]
    thread = start_thread(authors[0], category)
    grow(thread, authors, to=25)
    reader = make_user()
    browser = served.signed_in(reader)
    pages = [f"/forum/t/{thread.id}/?page={1 + n % 2}" for n in range(TABS)]
    barrier = Barrier(TABS)

    def read(index: int) -> int:
        tab = requests.Session()
        tab.cookies.update(browser.cookies)
        barrier.wait()
        return tab.get(served.url + pages[index], allow_redirects=False).status_code

    with ThreadPoolExecutor(TABS) as pool:
        statuses = list(pool.map(read, range(TABS)))

    assert statuses == [200] * TABS
    markers = select(ThreadRead.last_read_number).where(
        ThreadRead.user_id == reader.id, ThreadRead.thread_id == thread.id
    )
    assert _db.session.scalars(markers).all() == [25], "one marker, at the last post"
    assert forum.thread_page(thread.id, reader, 1).last_read_number == 25
