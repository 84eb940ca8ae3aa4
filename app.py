"""WSGI entry point: `flask --app app run` and `gunicorn app:app`."""

from partyschool.app.factory import create_app

app = create_app()
