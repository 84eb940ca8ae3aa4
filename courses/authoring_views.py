"""Instructors write courses and lessons; the school library and its copies."""

from flask import Blueprint

bp = Blueprint("authoring", __name__)
