"""Real servers the service tests start and stop: redis-server (restartable, no persistence,
as an operator's default container) and PostgreSQL (initdb + pg_ctl from Debian's
postgresql, run as an unprivileged user when the tests run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import redis

from tests.reviewbot.service.service_helpers import free_port, wait_for

POSTGRES_INSTALL = "run dev/install-test-deps (it installs postgresql)"
REDIS_INSTALL = "run dev/install-test-deps (it installs redis-server)"
POSTGRES_USER = "postgres"  # Debian's postgresql package creates it


class RedisServer:
    """One redis-server on a free port; ``restart`` loses everything, as without persistence."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or ""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind",
                                         "127.0.0.1", "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL)
        wait_for(self.pings, 10, "redis-server to answer")

    def pings(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # no shutdown save: its data is gone
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throwaway cluster in a temporary folder, trust auth on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="reviewbot-pg-"))  # reachable by postgres
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = POSTGRES_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _as_owner(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, self.user)
        done = self._as_owner(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U",
                              self.user, "--auth=trust", "--no-sync")
        assert done.returncode == 0, done.stderr
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._as_owner(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o",
                              options, "-l", str(self.folder / "server.log"), "-w", "start")
        assert done.returncode == 0, done.stderr + self.log()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database (one per test); its URL."""
        import psycopg

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_owner(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m",
                           "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
