"""The 双向培养 archive of graduate students (seed 002 §6)."""
