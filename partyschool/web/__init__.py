"""Shared web plumbing of every package: the base form, the navigation bar, filters."""
