"""The core of the online party school (网上党校): organization, accounts, candidates."""
