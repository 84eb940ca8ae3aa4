"""Question banks (题库) and their questions: staff pages, forms and services."""
