"""The two-tier party school and the university around it, as data."""
