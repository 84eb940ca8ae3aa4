"""Courses, lessons, training classes, enrolment and study hours (课程与培训班)."""
