"""The app's analyses as Ray tasks (`HIPDRIVE_RAY_ADDRESS` set for `streamlit run`): the
web process stays light, analysis workers scale on the cluster, results still go
through the one store (the web process saves them).

- `RayAnalyses.run(clip, ...)` puts the clip's bytes in Ray's object store, runs
  `gait.batch.analyse_bytes` as a task (1 CPU) and waits for it, polling a small
  progress actor (no CPU) that the task reports to, so the page shows the worker's
  real progress. The caller's `progress` callback is called twice a second from the
  waiting thread; when it raises (the app cancels a job so: time budget spent, tab
  closed) the task is cancelled on the cluster and the exception propagates.
- Limits: the web process's clip limits (`gait.limits`, HIPDRIVE_MAX_*) are given to
  the task's environment, so a cluster node applies the host's limits, not its own.
- Ray's usage statistics are off; the connection is made once per process, on first
  use, from the job thread that needs it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from gait.batch import Analysed, analyse_bytes
from gait.batch_ray import RayUnavailable, connect
from gait.limits import limits_env
from gait.progress import Progress

POLL_S = 0.5


class RayAnalyses:
    """One web process's connection to the Ray cluster at `address` ('local': a
    private instance on this machine, for trying it out)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._lock = threading.Lock()
        self._ray = None
        self._board = None
        self._remote = None

    def _connected(self):
        with self._lock:
            if self._ray is None:
                ray = connect(self.address)
                self._board = ray.remote(num_cpus=0)(_ProgressBoard).remote()
                self._remote = ray.remote(num_cpus=1, max_retries=0)(_analyse_reporting)
                self._ray = ray
            return self._ray

    def run(self, clip: Path, *, options: dict, with_video: bool, key: str,
            progress: Progress) -> Analysed:
        """Analyse `clip` on the cluster; `key` names its progress on the board."""
        ray = self._connected()
        data = ray.put(Path(clip).read_bytes())
        env = limits_env()
        task = self._remote.options(runtime_env={"env_vars": env}) if env else self._remote
        ref = task.remote(data, Path(clip).suffix.lower(), options, with_video,
                          self._board, key)
        try:
            while not ray.wait([ref], timeout=POLL_S)[0]:
                state = ray.get(self._board.get.remote(key))
                progress(*(state or ("queue", 0.0, None)))
            return ray.get(ref)
        except BaseException:
            ray.cancel(ref, force=True)
            raise
        finally:
            self._board.drop.remote(key)


class _ProgressBoard:
    """A Ray actor: the latest (stage, fraction, eta_s) of each running task."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[str, float, float | None]] = {}

    def set(self, key: str, stage: str, fraction: float, eta_s: float | None) -> None:
        self.states[key] = (stage, fraction, eta_s)

    def get(self, key: str) -> tuple[str, float, float | None] | None:
        return self.states.get(key)

    def drop(self, key: str) -> None:
        self.states.pop(key, None)


def _analyse_reporting(data: bytes, suffix: str, options: dict, with_video: bool, board,
                       key: str) -> Analysed:
    """Runs on a Ray worker: the analysis, its progress sent to `board` (at most four
    times a second: the engine throttles its reports)."""
    started = time.monotonic()

    def progress(stage: str, fraction: float, eta_s: float | None) -> None:
        board.set.remote(key, stage, fraction, eta_s)

    analysed = analyse_bytes(data, suffix, options, with_video, progress=progress)
    analysed.seconds = time.monotonic() - started
    return analysed


def ray_analyses_from_env() -> RayAnalyses | None:
    """The app's Ray backend if HIPDRIVE_RAY_ADDRESS is set, else None (analyses run in
    the web process)."""
    address = os.environ.get("HIPDRIVE_RAY_ADDRESS", "").strip()
    return RayAnalyses(address) if address else None


__all__ = ["RayAnalyses", "RayUnavailable", "ray_analyses_from_env"]
