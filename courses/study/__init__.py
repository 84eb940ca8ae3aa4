"""Studying: lesson pages, server-verified study time, lecture attendance, class progress."""

# exams/services.py imports `class_hours` from here; the merge with the exams split moves that
# import to courses.study.services and removes this line.
from courses.study.services import class_hours  # noqa: F401
