"""``reviewbot serve`` and ``reviewbot worker``: the service's processes.

``serve`` is the one-machine setup: the webhook app (uvicorn) in this process and one
consumer process per queue (``reviewbot worker --queue cpu`` and ``--queue gpu``), all in
one process group. On SIGINT or SIGTERM uvicorn stops taking deliveries, then the consumers
get SIGTERM; a job they drop half-done is still ``running`` in the job store and is
re-enqueued when a consumer starts again.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from reviewbot.config import Config, load_config
from reviewbot.core.errors import ConfigError
from reviewbot.service.queue import QUEUES, JobQueue
from reviewbot.service.settings import Settings

log = logging.getLogger("reviewbot.service.serve")
STOP_TIMEOUT_S = 15.0


class QueueName(enum.StrEnum):
    CPU = "cpu"
    GPU = "gpu"


@dataclass(frozen=True)
class ServeRequest:
    host: str
    port: int
    config: Path | None


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")


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
    Worker(queue, settings, config, load_config(config_path).source)
    consume(queue, which)
    return 0


def run_serve(request: ServeRequest) -> int:
    """``reviewbot serve``: the webhook app here, a consumer process per queue beside it."""
    import uvicorn

    from reviewbot.webhooks import create_app

    settings, config = load_service(request.config, webhook=True)
    setup_logging()
    queue = JobQueue(settings, config.queue)
    app = create_app(settings, queue, repositories=_repositories(config))
    consumers = Consumers(request.config)
    consumers.start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # uvicorn re-raises the signal that stopped it once it is done; with the default
        # handler that would kill this process before the consumers are stopped
        signal.signal(signum, lambda *_: None)
    try:
        server = uvicorn.Server(uvicorn.Config(app, host=request.host, port=request.port,
                                               log_level="warning", lifespan="off"))
        server.run()  # returns on SIGINT/SIGTERM
    finally:
        consumers.stop()
    return 0


def _repositories(config: Config) -> list[str]:
    github = getattr(config, "github", None)
    return list(getattr(github, "repositories", []) or [])


class Consumers:
    """The consumer processes of ``serve``; one that dies unexpectedly is started again."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        for which in QUEUES:
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
