"""Exam papers (试卷), fixed or drawn by rules: staff pages, forms and services."""
