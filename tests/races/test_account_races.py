"""Several tabs accepting one invitation at once, on SQLite and PostgreSQL: one account,
and every other tab a clear answer, never a server error."""

import requests
from sqlalchemy import func, select

from app.auth import service as auth
from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db as _db
from tests.conftest import PASSWORD

TABS = 4


def test_four_tabs_accepting_one_invitation_make_one_account(served, make_user):
    coordinator = make_user(Role.COORDINATOR)
    issued = auth.create_invite(
        "invited@hospital.example",
        {Role.MENTOR},
        invited_by=coordinator,
        now=utcnow(),
        max_age_days=14,
    )
    _db.session.commit()
    path = f"/auth/accept/{issued.token}"
    browser = requests.Session()
    csrf = served.csrf(browser, path)
    form = {"name": "Dr. Ama Mensah", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf}

    responses = served.at_once(
        TABS, lambda tab: tab.post(served.url + path, data=form, allow_redirects=False), browser
    )

    codes = sorted(r.status_code for r in responses)
    assert codes[0] == 302 and all(400 <= code < 500 for code in codes[1:]), codes
    assert all("already been used" in r.text for r in responses if r.status_code != 302)
    count = select(func.count()).select_from(User).where(User.email == "invited@hospital.example")
    assert _db.session.scalar(count) == 1
