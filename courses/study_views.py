"""Lesson pages, server-verified study time (heartbeats), lecture attendance, class progress."""

from flask import Blueprint

bp = Blueprint("study", __name__)
