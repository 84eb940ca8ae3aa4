"""The application factory: configuration, extensions, blueprints, error pages."""

from pathlib import Path

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from courses import api as courses_api
from courses import authoring_views, report_views, study_views
from courses import views as courses_views
from exams import cli as exams_cli
from exams.blueprints import BLUEPRINTS as EXAM_BLUEPRINTS
from partyschool import access, config
from partyschool import cli as top_cli
from partyschool.accounts import cli as accounts_cli
from partyschool.accounts import views as accounts_views
from partyschool.accounts.login import init_login
from partyschool.api import views as api_views
from partyschool.api.spec import ApiError
from partyschool.candidates import api as candidates_api
from partyschool.candidates import cli as candidates_cli
from partyschool.candidates import views as candidates_views
from partyschool.certificates import api as certificates_api
from partyschool.certificates import cli as certificates_cli
from partyschool.certificates import (
    issue_cli,  # noqa: F401 - adds `certificates issue-class`
    verify_views,
)
from partyschool.certificates import views as certificates_views
from partyschool.extensions import csrf, db, limiter, migrate
from partyschool.organization import views as organization_views
from partyschool.web import views as web_views

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = (
    web_views.bp,
    accounts_views.bp,
    organization_views.bp,
    api_views.bp,
    candidates_views.bp,
    candidates_views.own,
    candidates_api.bp,
    courses_views.bp,
    courses_api.bp,
    study_views.bp,
    authoring_views.bp,
    report_views.bp,
    verify_views.bp,
    certificates_views.bp,
    certificates_api.bp,
    *EXAM_BLUEPRINTS,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the Flask application; `test_config` overrides the environment."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    access.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in (
        *accounts_cli.commands,
        *candidates_cli.commands,
        *certificates_cli.commands,
        *exams_cli.commands,
        *top_cli.commands,
    ):
        app.cli.add_command(command)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Chinese error pages for people, JSON errors for the API."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error.to_response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = web_views.ERROR_MESSAGES.get(error.code, error.name)
        if access.is_api_request():
            code = error.name.lower().replace(" ", "_")
            return ApiError(error.code, code, message).to_response()
        return render_template("errors/error.html", error=error, message=message), error.code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        message = web_views.ERROR_MESSAGES[500]
        if access.is_api_request():
            return ApiError(500, "internal_error", message).to_response()
        return render_template("errors/error.html", error=None, message=message), 500
