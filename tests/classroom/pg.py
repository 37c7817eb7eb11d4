"""A throwaway PostgreSQL server on 127.0.0.1, for the poll's tests and its bench.

:func:`start` runs Debian's ``initdb`` into a new temporary folder and ``pg_ctl start`` on a free
port, with durability switched off (``fsync=off``: the data is thrown away) and trust
authentication for the one user ``lrlab`` on loopback only. ``initdb`` refuses to run as root,
so as root both run as the ``postgres`` system user (``runuser -u postgres``), which Debian's
``postgresql`` package creates; ``.ci/postgres.sh`` installs that package.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: a PostgreSQL URL to use instead of starting a server (its database gets throwaway schemas)
PG_ENV = "LRLAB_TEST_PG_URL"
#: where Debian and Ubuntu put the server's binaries, one folder per major version
DEBIAN_BIN = Path("/usr/lib/postgresql")
#: the superuser initdb creates
USER = "lrlab"


class Unavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


@dataclass
class Server:
    """A running throwaway server; :meth:`stop` ends it and deletes its files."""

    url: str
    folder: Path
    pg_ctl: list[str]
    data: Path

    def stop(self) -> None:
        subprocess.run(
            [*self.pg_ctl, "stop", "-D", str(self.data), "-m", "immediate", "-w"],
            cwd=self.folder,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def bindir() -> Path | None:
    """The newest server binaries: ``/usr/lib/postgresql/<major>/bin``, else ``initdb`` on PATH."""

    def major(p: Path) -> int:
        return int(p.parent.parent.name) if p.parent.parent.name.isdigit() else -1

    found = sorted(DEBIAN_BIN.glob("*/bin/initdb"), key=major)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(attempts: int = 3) -> Server:
    """Start a throwaway server and return it (``Server.url`` is a ``postgresql+psycopg`` URL).

    Raises
    ------
    Unavailable
        With the reason: no binaries, no ``postgres`` user to run them as root, or initdb or
        the server failed (the end of its log is in the message).
    """
    bins = bindir()
    if bins is None:
        raise Unavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl): run `bash .ci/postgres.sh` "
            "(installs Debian's postgresql package), or set LRLAB_TEST_PG_URL"
        )
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(
                "running as root and there is no `postgres` user to run initdb as "
                "(Debian's postgresql package creates it: run `bash .ci/postgres.sh`)"
            ) from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise Unavailable("running as root and `runuser` (util-linux) is missing")
        prefix = [runuser, "-u", "postgres", "--"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"

    folder = Path(tempfile.mkdtemp(prefix="lrlab-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    pg_ctl = [*prefix, str(bins / "pg_ctl")]
    init = subprocess.run(
        [*prefix, str(bins / "initdb"), "-D", str(data), "-U", USER, "-A", "trust"]
        + ["-E", "UTF8", "--locale=C", "--no-sync"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"initdb failed: {(init.stderr or init.stdout).strip()[-600:]}")
    log = folder / "server.log"
    for _ in range(attempts):
        port = _free_port()
        options = (
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        run = subprocess.run(
            [*pg_ctl, "start", "-D", str(data), "-l", str(log), "-w", "-t", "30", "-o", options],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode == 0:
            url = f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
            return Server(url=url, folder=folder, pg_ctl=pg_ctl, data=data)
    tail = log.read_text(errors="replace")[-600:] if log.exists() else run.stderr[-600:]
    shutil.rmtree(folder, ignore_errors=True)
    raise Unavailable(f"the server did not start: {tail.strip()}")


def normalise_url(url: str) -> str:
    """A PostgreSQL URL with the psycopg 3 driver named (``postgres://`` is accepted too)."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url.strip())


def _main(argv: list[str]) -> int:
    """``python -m tests.classroom.pg start`` prints a started server as JSON (its ``url`` for
    ``LRLAB_TEST_PG_URL``); ``... stop '<that JSON>'`` stops it and deletes its files.
    ``.ci/run`` uses this to start one server for the whole test run."""
    import json

    if argv[:1] == ["start"]:
        s = start()
        print(
            json.dumps(
                {"url": s.url, "folder": str(s.folder), "pg_ctl": s.pg_ctl, "data": str(s.data)}
            )
        )
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        d = json.loads(argv[1])
        Server(d["url"], Path(d["folder"]), list(d["pg_ctl"]), Path(d["data"])).stop()
        return 0
    print(_main.__doc__)
    return 2


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
