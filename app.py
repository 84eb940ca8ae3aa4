"""WSGI entry point: `flask --app app run` and `gunicorn app:app`."""

from partyschool.factory import create_app

app = create_app()
