"""The pieces of the cluster test: the deploy kit's files made to run on loopback, processes
started in their own groups and always stopped, and an HTTP(S) client with cookies."""

import contextlib
import http.client
import http.cookies
import json
import os
import re
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HOST = "127.0.0.1"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
RETRYABLE = {502, 503, 504}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    """Until something accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port} after {timeout} s")


def unit_command(unit: str) -> list[str]:
    """The ExecStart of one of the kit's systemd units, with the release here."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").replace("/srv/partyschool", str(ROOT)))


def environment_example() -> dict[str, str]:
    """The kit's environment file, as systemd reads it."""
    lines = (DEPLOY / "partyschool.env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name: value.strip('"') for name, value in pairs}


def nginx_site(ports: list[int], http_port: int, https_port: int, work: Path) -> str:
    """The kit's nginx site file with loopback ports, a test certificate and paths in `work`."""
    text = (DEPLOY / "nginx" / "partyschool.conf").read_text()
    replacements = {
        "server 127.0.0.1:8001": f"server {HOST}:{ports[0]}",
        "server 127.0.0.1:8002": f"server {HOST}:{ports[1]}",
        "listen 80;": f"listen {HOST}:{http_port};",
        "listen 443 ssl http2;": f"listen {HOST}:{https_port} ssl http2;",
        "/etc/ssl/certs/dangxiao.example.edu.cn.pem": str(work / "tls.pem"),
        "/etc/ssl/private/dangxiao.example.edu.cn.key": str(work / "tls.key"),
        "/var/log/nginx/": f"{work}/log/",
        "/srv/partyschool/static/": f"{ROOT}/static/",
    }
    for old, new in replacements.items():
        assert old in text, f"the kit's nginx file no longer has {old!r}"
        text = text.replace(old, new)
    return text


def nginx_main(work: Path) -> str:
    """A main nginx.conf around the site file, everything under `work`."""
    temp = "\n".join(
        f"  {kind}_temp_path {work}/temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/log/error.log warn;
events {{ worker_connections 512; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
{temp}
  include {work}/partyschool.conf;
}}
"""


def self_signed_certificate(work: Path) -> None:
    """A throwaway TLS certificate for 127.0.0.1."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(work / "tls.key"),
            "-out",
            str(work / "tls.pem"),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )


class Processes:
    """Everything the test starts, each in its own process group; stopped in reverse."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)
            self.kill(process)  # and whatever of its group outlived it


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    retries: int = 0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


@dataclass
class Browser:
    """A client of one port (a server, or nginx with TLS), with its own cookies and address."""

    port: int
    tls: bool = False
    source: str = HOST
    token: str | None = None
    cookies: dict = field(default_factory=dict)

    def connection(self):
        if self.tls:
            context = ssl._create_unverified_context()  # noqa: S323 - the test's own certificate
            return http.client.HTTPSConnection(
                HOST, self.port, timeout=60, context=context, source_address=(self.source, 0)
            )
        return http.client.HTTPConnection(
            HOST, self.port, timeout=60, source_address=(self.source, 0)
        )

    def call(self, method, path, body=None, headers=None, patience: float = 0.0) -> Reply:
        """One request; with patience, retried through connection errors and 502/503/504."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        deadline, retries = time.monotonic() + patience, 0
        while True:
            connection = self.connection()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                reply = Reply(
                    response.status, dict(response.getheaders()), response.read(), retries
                )
                for value in response.headers.get_all("Set-Cookie") or []:
                    cookie = http.cookies.SimpleCookie(value)
                    self.cookies.update({k: m.value for k, m in cookie.items()})
                if reply.status not in RETRYABLE or time.monotonic() > deadline:
                    return reply
            except (OSError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise
            finally:
                connection.close()
            retries += 1
            time.sleep(0.1)

    def csrf(self, path="/login") -> str:
        match = CSRF_META.search(self.call("GET", path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def form(self, path, data: dict) -> Reply:
        body = urlencode({"csrf_token": self.csrf("/login" if path == "/login" else "/"), **data})
        return self.call("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username, password) -> Reply:
        return self.form("/login", {"username": username, "password": password})

    def upload(self, path, field_name, filename, content: bytes) -> Reply:
        boundary = uuid.uuid4().hex
        token = self.csrf("/")
        parts = [
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            ).encode(),
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.call(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


def random_secret() -> str:
    return secrets.token_urlsafe(48)
