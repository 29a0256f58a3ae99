"""Preceptor: training and certification for physician mentors."""

from flask import Flask
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import database as _database  # SQLite connection and transaction events too
from app import security_log
from app.api.routes import bp as api_bp
from app.api.token_routes import bp as api_tokens_bp
from app.auth.mfa_routes import bp as mfa_bp
from app.auth.mfa_routes import register_setup_gate
from app.auth.routes import bp as auth_bp
from app.auth.sessions import CookieSessionInterface
from app.authoring import models as _authoring_models  # noqa: F401 (tables for migrations)
from app.authoring.routes import bp as authoring_bp
from app.certification.routes import bp as certification_bp
from app.cli import register_commands
from app.config import Config, config_for_environment
from app.coordinator.routes import bp as coordinator_bp
from app.courses.routes import bp as courses_bp
from app.courses.workbook_routes import bp as workbook_bp
from app.errors import register_error_handlers
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.forum.routes import bp as forum_bp
from app.mail import register_delivery
from app.matching import models as _matching_models  # noqa: F401 (tables for migrations)
from app.matching.routes import bp as matching_bp
from app.matching.routes import profile_bp as mentor_profile_bp
from app.practice.routes import bp as practice_bp
from app.quizzes.routes import bp as quizzes_bp
from app.site import bp as site_bp
from app.site import register_input_guard, register_security_headers

BLUEPRINTS = (
    site_bp,
    auth_bp,
    mfa_bp,
    courses_bp,
    workbook_bp,
    quizzes_bp,
    certification_bp,
    coordinator_bp,
    practice_bp,
    matching_bp,
    mentor_profile_bp,
    forum_bp,
    api_bp,
    api_tokens_bp,
    authoring_bp,
)


class DatabaseId(IntegerConverter):
    """<int:...> in a URL: an id a database column can hold; anything larger is a 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def create_app(config: type[Config] | None = None) -> Flask:
    config = config or config_for_environment()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config.INSTANCE_PATH),
        instance_relative_config=False,
    )
    app.config.from_object(config)
    security_log.configure_logging()
    default_handler.setFormatter(security_log.UTCFormatter(security_log.LINE_FORMAT))
    app.session_interface = CookieSessionInterface()
    app.url_map.converters["int"] = DatabaseId
    app.jinja_env.add_extension("jinja2.ext.do")
    app.config["INSTANCE_PATH"].mkdir(parents=True, exist_ok=True)
    _database.create_sqlite_file_privately(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", _database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.REPOSITORY_MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_input_guard(app)
    register_setup_gate(app)
    register_commands(app)
    register_delivery(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    if proxies := app.config.get("TRUSTED_PROXIES", 0):
        # Behind nginx and the like: the client's own address (per-address rate limits)
        # and scheme come from the headers the trusted proxies set.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app
