"""Training classes: the list, a class's page, applying, nominating, approving, withdrawing."""

from flask import Blueprint

from courses import models  # noqa: F401 - registers the tables until the views use them

bp = Blueprint("courses", __name__, url_prefix="/classes")
