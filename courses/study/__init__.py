"""Studying: lesson pages, server-verified study time, lecture attendance, class progress."""
