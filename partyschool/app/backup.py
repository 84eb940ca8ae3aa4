"""`flask backup FILE` and `flask restore FILE`: the database and the instance secrets in one
archive.

SQLite is copied with its online backup API, a consistent snapshot taken while the site keeps
writing; PostgreSQL through pg_dump (one snapshot too) and pg_restore. The archive also holds
the secret key and the certificate signing key: a restored site must keep signing with the key
its issued certificates were signed with, and keep its users' sessions.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from partyschool.certificates import signing
from partyschool.extensions import db, utcnow

FORMAT = 1
SECRET_KEY_MEMBER = "secrets/secret_key"  # noqa: S105 - a file name
SIGNING_KEY_MEMBER = "secrets/certificate_signing_key.pem"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(click.ClickException):
    """The backup or the restore cannot be done; the message says why."""


def _postgres_arguments(url: URL) -> tuple[list[str], dict]:
    """libpq connection options and environment for pg_dump and pg_restore (no password in
    the process list)."""
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return args, env


def _tool(name: str) -> str:
    """pg_dump or pg_restore, newest PostgreSQL version first."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(found[0]) if found else (shutil.which(name) or name)


def _dump_database(url: URL, target: Path) -> None:
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # one step: a consistent snapshot, writers carry on (WAL)
        finally:
            copy.close()
            source.close()
        return
    args, env = _postgres_arguments(url)
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file"]
    result = subprocess.run(  # noqa: S603 - our own arguments
        [*command, str(target), *args], env=env, capture_output=True
    )
    if result.returncode:
        raise BackupError(f"pg_dump failed: {result.stderr.decode(errors='replace')}")


def _load_database(url: URL, source: Path) -> None:
    if url.get_backend_name() == "sqlite":
        db.engine.dispose()
        copy = sqlite3.connect(source)
        target = sqlite3.connect(url.database)
        try:
            copy.backup(target)
        finally:
            target.close()
            copy.close()
        return
    db.engine.dispose()
    args, env = _postgres_arguments(url)
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    command += ["--single-transaction", "--exit-on-error"]
    result = subprocess.run(  # noqa: S603 - our own arguments
        [*command, *args, str(source)], env=env, capture_output=True
    )
    if result.returncode:
        raise BackupError(f"pg_restore failed: {result.stderr.decode(errors='replace')}")


def _signing_key_pem() -> bytes:
    return signing.signing_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members are readable by their owner only: the database holds 身份证号 and phones."""
    info.mode = 0o600
    return info


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup(path: Path) -> dict:
    """Write the archive: database snapshot, secret key, signing key, a manifest."""
    url = db.engine.url
    dialect = url.get_backend_name()
    manifest = {"format": FORMAT, "database": dialect, "created_at": utcnow().isoformat()}
    with tempfile.TemporaryDirectory(prefix="partyschool-backup-") as work:
        dump = Path(work) / DATABASE_MEMBER[dialect]
        _dump_database(url, dump)
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
            archive.add(dump, DATABASE_MEMBER[dialect], filter=_private)
            _add_bytes(archive, SECRET_KEY_MEMBER, current_app.config["SECRET_KEY"].encode())
            _add_bytes(archive, SIGNING_KEY_MEMBER, _signing_key_pem())
        partial.chmod(0o600)  # it holds the keys
        partial.replace(path)
    return manifest


def _restore_secret(name: str, data: bytes, configured: bytes | None, path: Path) -> str:
    """Put a secret back into instance/, unless the environment configures it."""
    if configured is not None:
        same = configured.strip() == data.strip()
        return f"{name}: configured by the environment" + (
            "" if same else " and DIFFERENT from the backup's — set it to the backup's value"
        )
    path.write_bytes(data)
    path.chmod(0o600)
    return f"{name}: restored into {path}"


def restore(path: Path, secrets_dir: Path | None = None) -> list[str]:
    """Replace the database and the secrets with the archive's; returns notes.

    The secrets go into `secrets_dir` when given (where production keeps its key files), else
    into instance/ unless the environment configures them."""
    url = db.engine.url
    dialect = url.get_backend_name()
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as work:
        manifest = json.load(archive.extractfile("manifest.json"))
        if manifest.get("format") != FORMAT or manifest.get("database") != dialect:
            raise BackupError(
                f"{path} is a backup of a {manifest.get('database')} database;"
                f" this site uses {dialect}"
            )
        archive.extract(DATABASE_MEMBER[dialect], work, filter="data")
        _load_database(url, Path(work) / DATABASE_MEMBER[dialect])
        secret = archive.extractfile(SECRET_KEY_MEMBER).read()
        key = archive.extractfile(SIGNING_KEY_MEMBER).read()
    instance = Path(current_app.instance_path)
    env_secret = os.environ.get("SECRET_KEY")
    config = current_app.config
    key_file = config.get("CERT_SIGNING_KEY_FILE")
    configured_key = config.get("CERT_SIGNING_KEY") or (
        Path(key_file).read_text() if key_file and Path(key_file).exists() else None
    )
    if secrets_dir is not None:
        secrets_dir.mkdir(parents=True, exist_ok=True)
        env_secret = configured_key = None  # written where asked, whatever is configured
    notes = [
        _restore_secret(
            "secret key",
            secret,
            env_secret.encode() if env_secret else None,
            (secrets_dir or instance) / "secret_key",
        ),
        _restore_secret(
            "signing key",
            key,
            configured_key.encode() if configured_key else None,
            secrets_dir / signing.KEY_FILE_NAME if secrets_dir else signing.instance_key_path(),
        ),
    ]
    signing.forget_loaded_keys()
    return [f"database: restored from a backup of {manifest['created_at']}", *notes]


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    """Write a consistent copy of the database and the instance secrets to FILE (.tar.gz)."""
    manifest = backup(file)
    click.echo(f"backed up the {manifest['database']} database and the secrets to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask (a terminal is asked before replacing).")
@click.option(
    "--secrets-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the secret key and signing key files here (default: instance/, unless the"
    " environment configures them).",
)
@with_appcontext
def restore_command(file: Path, yes: bool, secrets_dir: Path | None):
    """Replace this site's database and secrets with those of a backup FILE."""
    # Scripts (no terminal) restore as told; a person at a terminal confirms first.
    if not yes and sys.stdin.isatty():
        click.confirm("This replaces the whole database. Continue?", abort=True)
    for note in restore(file, secrets_dir):
        click.echo(note)


commands = (backup_command, restore_command)
