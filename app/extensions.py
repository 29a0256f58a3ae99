import enum

import flask_limiter
import flask_login
import flask_wtf
from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def value_enum(kind: type[enum.Enum], name: str) -> Enum:
    """An Enum column that stores each member's value ("mentor"), not its name ("MENTOR")."""
    return Enum(kind, name=name, values_callable=lambda members: [m.value for m in members])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The load balancer's checks: no limit applies to them, no one signs in to them, and they
# must cost little more than a bare Flask route (bench/ measures one against the other).
HEALTH_CHECKS = frozenset({"site.healthz", "site.readyz"})


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, minus its before-request lookups (application, default and
    blueprint limits) on the health checks, which no limit covers."""

    def _check_request_limit(self, *args, **kwargs) -> None:
        if request.endpoint not in HEALTH_CHECKS:
            super()._check_request_limit(*args, **kwargs)


class LoginManager(flask_login.LoginManager):
    """Flask-Login, minus its after-request look at the session on the health checks
    (no one signs in or out there): any look marks the response Vary: Cookie."""

    def _update_remember_cookie(self, response: Response) -> Response:
        if request.endpoint in HEALTH_CHECKS:
            return response
        return super()._update_remember_cookie(response)


class CSRFProtect(flask_wtf.CSRFProtect):
    """Flask-WTF's check, asking the method first: it looks up the view's exemptions
    before the method, on every GET, only to find that a GET needs no token."""

    def protect(self, *args, **kwargs) -> None:
        if request.method in current_app.config["WTF_CSRF_METHODS"]:
            super().protect(*args, **kwargs)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def heavy_work_limit():
    """For the requests that cost the server most (a PDF, the CSV of every mentor): each
    signed-in person gets HEAVY_REQUESTS_LIMIT, so no one can keep the workers busy."""
    from flask import current_app
    from flask_login import current_user

    return limiter.limit(
        lambda: current_app.config["HEAVY_REQUESTS_LIMIT"],
        key_func=lambda: f"heavy:{current_user.get_id() or get_remote_address()}",
    )
