"""gunicorn settings of one 网上党校 web server (systemd: partyschool-web.service).

Values come from the environment file, so every server shares this file unchanged.
"""

import multiprocessing
import os

# nginx (deploy/nginx/partyschool.conf) proxies to this address; keep it off the public network.
bind = os.environ.get("PARTYSCHOOL_BIND", "127.0.0.1:8001")
# Threads let a worker wait on the database for one request while serving another; one worker
# per core, four threads (more of either cost CPU in context switches: bench/exam_day.py).
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", str(multiprocessing.cpu_count())))
threads = int(os.environ.get("WEB_THREADS", "4"))
# Longer than nginx's proxy_read_timeout, so nginx, not gunicorn, decides when to give up.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Not the shared $HOME/.gunicorn control socket of every gunicorn on the machine.
control_socket_disable = True
# One line per request to stdout (journald). The address is the client's, not nginx's: the
# app trusts PROXY_COUNT proxies (ProxyFix), which sets it before gunicorn logs the request.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(f)s" "%(a)s"'
errorlog = "-"
