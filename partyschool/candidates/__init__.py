"""Candidates for party membership: development records and the eligibility rules (发展党员)."""
