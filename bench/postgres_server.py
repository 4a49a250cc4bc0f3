"""A PostgreSQL server for benchmarks: the one named by SHOPSYNC_BENCH_POSTGRES_URL, or a throwaway one.

The throwaway server is what `.ci/run` starts for the tests: the machine's `initdb` and `pg_ctl` (run as the
`postgres` user when we are root, since PostgreSQL refuses to run as root) on a free loopback port in a
temporary directory, stopped and deleted when the block ends. Each run gets a fresh database on it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

URL_VARIABLE = "SHOPSYNC_BENCH_POSTGRES_URL"


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A server URL (`postgresql+psycopg://…/postgres`) for the block, or None when none can be had."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="shopsync-bench-pg-") as directory:
        root = Path(directory)
        port = _free_port()
        data = root / "data"
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        try:
            _as_postgres(f"initdb -D {data} -A trust -U postgres")
            options = f"-h 127.0.0.1 -p {port} -k {root}"
            _as_postgres(f"pg_ctl -D {data} -o {shlex.quote(options)} -l {root / 'log'} -w start")
        except subprocess.CalledProcessError:
            yield None
            return
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _as_postgres(f"pg_ctl -D {data} -m immediate stop", check=False)


def fresh_database(server_url: str, name: str) -> str:
    """Create database `name` on the server (dropping an older one of that name) and return its URL."""
    url = make_url(server_url)
    with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _libpq(server_url: str) -> str:
    return make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _as_postgres(command: str, *, check: bool = True) -> None:
    argv = ["su", "postgres", "-s", "/bin/sh", "-c", command] if os.geteuid() == 0 else shlex.split(command)
    subprocess.run(argv, check=check, capture_output=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
