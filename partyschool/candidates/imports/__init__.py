"""Spreadsheet imports of records: the roster, dormitory ratings, historical stages."""
