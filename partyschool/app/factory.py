"""The application factory: configuration, extensions, blueprints, error pages."""

from pathlib import Path

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from courses import api as courses_api
from courses import views as courses_views
from courses.authoring import views as authoring_views
from courses.reports import views as report_views
from courses.study import views as study_views
from exams import cli as exams_cli
from exams.blueprints import BLUEPRINTS as EXAM_BLUEPRINTS
from partyschool import access, config, pdf
from partyschool.accounts import cli as accounts_cli
from partyschool.accounts import views as accounts_views
from partyschool.accounts.login import init_login
from partyschool.api import views as api_views
from partyschool.app import backup, errors, hardening, jobs
from partyschool.app import cli as top_cli
from partyschool.app import views as web_views
from partyschool.candidates import api as candidates_api
from partyschool.candidates import cli as candidates_cli
from partyschool.candidates import in_force as rules_in_force
from partyschool.candidates import publicity_views
from partyschool.candidates import views as candidates_views
from partyschool.candidates.archive import views as archive_views
from partyschool.candidates.plans import views as plan_views
from partyschool.candidates.reports import views as thought_report_views
from partyschool.candidates.twoway import views as twoway_views
from partyschool.certificates import api as certificates_api
from partyschool.certificates import cli as certificates_cli
from partyschool.certificates import (
    issue_cli,  # noqa: F401 - adds `certificates issue-class`
    verify_views,
)
from partyschool.certificates import views as certificates_views
from partyschool.extensions import MAX_ID, csrf, db, limiter, migrate
from partyschool.organization import views as organization_views
from partyschool.web import navigation

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = (
    web_views.bp,
    accounts_views.bp,
    organization_views.bp,
    api_views.bp,
    candidates_views.bp,
    candidates_views.own,
    thought_report_views.bp,
    publicity_views.bp,
    candidates_api.bp,
    archive_views.bp,
    plan_views.bp,
    twoway_views.bp,
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


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every route: an integer a key column can hold (PostgreSQL's `integer`,
    32 bits). A larger one names no row, so it matches no route (404) instead of overflowing
    the database driver (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# A form or JSON body is small (an essay answer is 20,000 characters); only uploads are large.
MAX_BODY_BYTES = 2 * 1024 * 1024


def _bounded_body() -> None:
    """Refuse a large body before reading it, unless it carries files (multipart, whose text
    fields Flask's MAX_FORM_MEMORY_SIZE bounds): reading 30 MB of form would tie a worker up."""
    length = request.content_length or 0
    if length > MAX_BODY_BYTES and request.mimetype != "multipart/form-data":
        abort(413)


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
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config.engine_options(app.config))

    app.url_map.converters["int"] = DatabaseIdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    app.before_request(_bounded_body)  # first: before anything reads the body
    access.init_app(app)
    pdf.install_compact_cid_fonts()  # certificates embed compact CJK fonts
    rules_in_force.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in (
        *accounts_cli.commands,
        *candidates_cli.commands,
        *certificates_cli.commands,
        *exams_cli.commands,
        *top_cli.commands,
        *jobs.commands,
        *backup.commands,
    ):
        app.cli.add_command(command)
    errors.init_app(app)
    navigation.init_app(app)
    hardening.init_app(app)
    return app
