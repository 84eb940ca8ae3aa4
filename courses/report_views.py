"""Reading reports (学习心得): submission, similarity, the review queue."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
