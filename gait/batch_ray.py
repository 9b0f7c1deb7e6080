"""Ray as the batch's cluster backend (`gait batch --ray ADDRESS|local`, or
`HIPDRIVE_RAY_ADDRESS`). Ray is the optional dependency group `cluster`
(`uv sync --group cluster`); the default install stays lean.

Each clip is one Ray task (1 CPU): its bytes are put in Ray's object store, a worker
analyses them in a private temporary file (gait.batch.analyse_bytes) and returns the
report and the annotated video's bytes through the object store; no shared folder is
needed. At most IN_FLIGHT_PER_CPU × the cluster's CPUs clips are in the object store at
once, so memory stays bounded for long batches. `local` starts a private Ray instance
on this machine for the run; an address (`127.0.0.1:6379`) joins an existing cluster.
Ray's usage statistics are switched off (nothing leaves the machine).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

from gait.batch import Backend, BatchTask, analyse_bytes
from gait.limits import limits_env

IN_FLIGHT_PER_CPU = 2
RAY_ADDRESS_ENV = "HIPDRIVE_RAY_ADDRESS"


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached; the message says what to do."""


def connect(address: str, *, local_cpus: int | None = None):
    """The `ray` module, connected to the cluster at `address` ('local': a private
    instance with `local_cpus` CPUs); RayUnavailable with what to do if it cannot be."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise RayUnavailable("Ray is not installed: run `uv sync --group cluster` (or "
                             "pip install 'ray>=2.40,<3') to use Ray") from None
    _check_reachable(address)
    try:
        if address == "local":
            ray.init(num_cpus=local_cpus, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address} ({err}); "
                             "start it with `ray start --head` or check the address") from None
    return ray


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a 'host:port' nobody listens on (ray.init would wait minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return  # 'local', 'auto', ray:// client addresses: left to Ray
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address} ({err}); start it "
                             "with `ray start --head` or check the address") from None


def ray_backend(address: str, *, local_cpus: int | None = None) -> Backend:
    """A backend running each clip as a Ray task on the cluster at `address` ('local':
    a private instance with `local_cpus` CPUs)."""

    def run(todo: list[tuple[int, BatchTask]]) -> Iterator[tuple[int, object]]:
        ray = connect(address, local_cpus=local_cpus)
        try:
            yield from _run_tasks(ray, todo)
        finally:
            ray.shutdown()

    return run


def _run_tasks(ray, todo: list[tuple[int, BatchTask]]) -> Iterator[tuple[int, object]]:
    remote = ray.remote(num_cpus=1, max_retries=0)(analyse_bytes)
    env = limits_env()
    if env:  # the host's clip limits, not the node's
        remote = remote.options(runtime_env={"env_vars": env})
    limit = max(1, IN_FLIGHT_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
    waiting = list(todo)
    in_flight: dict[object, int] = {}
    while waiting or in_flight:
        while waiting and len(in_flight) < limit:
            i, task = waiting.pop(0)
            data = ray.put(Path(task.clip).read_bytes())
            ref = remote.remote(data, Path(task.clip).suffix.lower(), task.options,
                                task.with_video)
            in_flight[ref] = i
        done, _ = ray.wait(list(in_flight), num_returns=1)
        i = in_flight.pop(done[0])
        try:
            yield i, ray.get(done[0])
        except Exception as err:  # noqa: BLE001 — a task's crash (RayTaskError, worker died)
            yield i, err
