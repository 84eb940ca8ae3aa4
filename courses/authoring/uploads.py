"""Uploaded files: the core's `partyschool.uploads`, under the name courses have used."""

from partyschool.uploads import *  # noqa: F403
