"""The hottest pages read in a fixed number of queries, however much progress exists."""

import pytest

from app.auth.models import Role
from app.clock import utcnow
from app.courses import service
from tests.conftest import log_in, queries_for


@pytest.mark.parametrize("url", ["/courses/", "/courses/listening/reflect/"])
def test_catalog_and_lesson_pages_do_not_query_more_as_progress_grows(
    client, db, synced, mentor, make_user, url
):
    log_in(client, mentor)
    before = queries_for(client, url)
    others = [make_user(Role.MENTOR) for _ in range(5)]
    for person in [mentor, *others]:
        for slug in ("listening", "goals"):
            for lesson in service.course_progress(person, service.get_course(slug)).lessons:
                service.mark_complete(person, lesson, now=utcnow())
    db.session.commit()
    assert queries_for(client, url) == before
    assert before <= 4  # the signed-in user, then the page's own one or two reads
