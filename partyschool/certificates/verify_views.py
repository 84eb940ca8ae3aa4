"""Public verification of certificates: the page, the signed JSON, the public key."""

from flask import Blueprint

from partyschool.certificates import models  # noqa: F401 - registers the tables

bp = Blueprint("verify", __name__)
