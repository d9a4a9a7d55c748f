"""``reviewbot serve`` and ``reviewbot worker``: the service's processes.

``serve`` runs the roles it is given (default all): ``webhook``, the app (uvicorn) in this
process, and ``cpu``/``gpu``, one consumer process per queue (``reviewbot worker --queue
...``), all in one process group; ``--roles webhook,cpu`` is a service host that never
takes GPU work. On SIGINT or SIGTERM uvicorn stops taking deliveries, then the consumers
get SIGTERM and put the jobs they were running back in the queue; a consumer killed
outright leaves its jobs to lapse, and any consumer takes them back (``jobs.py``).
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.config import Config, load_config
from reviewbot.core.errors import ConfigError
from reviewbot.service.logs import setup_logging
from reviewbot.service.queue import QUEUES, JobQueue
from reviewbot.service.settings import Settings

log = logging.getLogger("reviewbot.service.serve")
STOP_TIMEOUT_S = 15.0


class QueueName(enum.StrEnum):
    CPU = "cpu"
    GPU = "gpu"


ROLES = ("webhook", *QUEUES)
ALL_ROLES = ",".join(ROLES)


@dataclass(frozen=True)
class ServeRequest:
    host: str
    port: int
    config: Path | None
    roles: tuple[str, ...] = ROLES  # webhook: the app; cpu, gpu: a consumer of that queue


def parse_roles(text: str) -> tuple[str, ...]:
    """``webhook,cpu`` -> ("webhook", "cpu"); an unknown or empty role is a usage error."""
    roles = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise ConfigError("--roles", [f"must be a comma-separated list of {', '.join(ROLES)}"
                                      f"{'; not ' + ', '.join(unknown) if unknown else ''}"])
    return roles


def load_service(config_path: Path | None, *, webhook: bool) -> tuple[Settings, Config]:
    """Settings and config, refusing to start without the secrets the process needs."""
    settings = Settings.from_env()
    if webhook:
        settings.require_service_secrets()
    elif not (settings.token or settings.app_id):
        raise ConfigError("environment", ["set REVIEWBOT_GITHUB_TOKEN, or REVIEWBOT_GITHUB_APP_ID "
                                          "with REVIEWBOT_GITHUB_PRIVATE_KEY_FILE"])
    return settings, load_config(config_path).config


def run_worker(which: str, config_path: Path | None) -> int:
    """``reviewbot worker --queue cpu|gpu``: consume one queue until stopped."""
    from reviewbot.service.worker import Worker, consume  # the worker pulls in the GitHub client

    if which not in QUEUES:
        raise ConfigError("--queue", [f"must be one of {', '.join(QUEUES)}, not {which!r}"])
    settings, config = load_service(config_path, webhook=False)
    setup_logging()
    if which == "gpu":  # a sandbox guarantee missing: refuse before taking any job
        from reviewbot.replication.session import make_runner

        make_runner(config, no_sandbox=False)
    queue = JobQueue(settings, config.queue)
    worker = Worker(queue, settings, config, load_config(config_path).source)
    consume(worker, which)
    return 0


def run_serve(request: ServeRequest) -> int:
    """``reviewbot serve``: the webhook app here (role webhook), a consumer process per
    queue role beside it."""
    settings, config = load_service(request.config, webhook="webhook" in request.roles)
    setup_logging()
    consumers = Consumers(request.config, [role for role in request.roles if role in QUEUES])
    consumers.start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # uvicorn re-raises the signal that stopped it once it is done; with the default
        # handler that would kill this process before the consumers are stopped
        signal.signal(signum, _stop_on(consumers))
    log.info("serving roles: %s", ", ".join(request.roles))
    try:
        if "webhook" in request.roles:
            _serve_webhook(request, settings, config)  # returns on SIGINT/SIGTERM
        else:
            consumers.stopping.wait()
    finally:
        consumers.stop()
    return 0


def _stop_on(consumers: Consumers) -> Any:
    def handler(*_: object) -> None:
        consumers.stopping.set()
    return handler


def _serve_webhook(request: ServeRequest, settings: Settings, config: Config) -> None:
    import uvicorn

    from reviewbot.webhooks import create_app

    queue = JobQueue(settings, config.queue)
    app = create_app(settings, queue, repositories=_repositories(config))
    server = uvicorn.Server(uvicorn.Config(app, host=request.host, port=request.port,
                                           log_level="warning", lifespan="off"))
    server.run()


def _repositories(config: Config) -> list[str]:
    github = getattr(config, "github", None)
    return list(getattr(github, "repositories", []) or [])


class Consumers:
    """The consumer processes of ``serve``; one that dies unexpectedly is started again."""

    def __init__(self, config_path: Path | None, queues: Sequence[str] = QUEUES) -> None:
        self.config_path, self.queues = config_path, tuple(queues)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        for which in self.queues:
            self.processes[which] = self._spawn(which)
        self._watcher.start()

    def _spawn(self, which: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "reviewbot.cli", "worker", "--queue", which]
        if self.config_path is not None:
            command += ["--config", str(self.config_path)]
        log.info("starting the %s consumer", which)
        return subprocess.Popen(command, env=os.environ.copy())

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for which, process in list(self.processes.items()):
                if process.poll() is not None and not self.stopping.is_set():
                    log.error("%s consumer exited (%s); starting it again", which,
                              process.returncode)
                    self.processes[which] = self._spawn(which)

    def stop(self) -> None:
        self.stopping.set()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
