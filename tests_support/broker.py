"""A Redis server of the test's own, to kill or freeze, and the Celery app pointed at a broker.

Tests of broker outages need a Redis they control: `redis-server` on a free port, without
persistence, that they can stop (`kill`: connection refused) or freeze (`freeze`: SIGSTOP, so
the kernel still accepts connections and nobody ever answers, like a hung server or a
black-holed network) and bring back (`thaw`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from . import environment

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """One throw-away `redis-server` subprocess on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False

    def kill(self) -> None:
        if self.process is None:
            return
        if self.frozen:
            self.thaw()
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own (needs `redis-server`; under CI it must be there)."""
    if not os.path.exists(REDIS_SERVER):
        if environment.in_ci():
            pytest.fail("redis-server is not installed")
        pytest.skip("needs redis-server (apt-get install redis-server)")
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.kill()


def _reset_pools(app: object) -> None:
    if app._pool is not None:  # type: ignore[attr-defined]
        app._pool.force_close_all()  # type: ignore[attr-defined]
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    # kombu's process-wide producer pools may wrap the pool closed above: start afresh, or the
    # next test to publish gets "Acquire on closed pool".
    kombu_pools.reset()


@contextmanager
def celery_publishing_to(url: str, *, timeout: float | None = None) -> Iterator[None]:
    """The Celery app publishing to `url` with the production settings' bounds on every wait
    (`timeout` replaces BROKER_TIMEOUT_SECONDS, so a loaded test machine keeps a margin)."""
    from escalation_desk.celery import app
    from notifications.services import resume_publishing

    keys = [
        "broker_url",
        "broker_write_url",
        "broker_transport_options",
        "task_always_eager",
        "broker_connection_timeout",
        "broker_pool_acquire_timeout",
    ]
    previous = {key: app.conf[key] for key in keys}
    options = dict(settings.BROKER_TIMEOUT_TRANSPORT_OPTIONS)
    bound = settings.BROKER_TIMEOUT_SECONDS if timeout is None else timeout
    options.update(socket_timeout=bound, socket_connect_timeout=bound)
    _reset_pools(app)
    resume_publishing()
    app.conf.update(
        broker_url=url,
        broker_write_url=url,
        task_always_eager=False,
        broker_transport_options=options,
        broker_connection_timeout=bound,
        broker_pool_acquire_timeout=bound,
    )
    try:
        yield
    finally:
        _reset_pools(app)
        resume_publishing()
        app.conf.update(previous)
