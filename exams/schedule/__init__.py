"""The exams of a training class (考试安排): staff pages, forms and services."""
