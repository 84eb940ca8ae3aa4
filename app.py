"""WSGI entry point: `flask --app app run` and `gunicorn app:app`."""

import gc

from partyschool.app.factory import create_app

app = create_app()

# What building the app made (modules, routes, models: most of a process's objects) lives as
# long as the process: keep it out of the garbage collector's full scans, each of which stopped
# every thread of a worker for 0.1-0.2 s under exam load (bench/exam_day.py). With gunicorn's
# --preload the workers share it, untouched, with the master. Garbage first: frozen is forever.
gc.collect()
gc.freeze()
