"""The classes API: classes open to the caller, and applying to one."""

from flask import Blueprint

bp = Blueprint("courses_api", __name__, url_prefix="/api/v1/classes")
