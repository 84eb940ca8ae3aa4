"""Pages shared by every role: home, health, errors, the base form."""
