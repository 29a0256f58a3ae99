import enum

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
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
