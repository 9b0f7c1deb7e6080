"""Run the segments of one clip on several processes: the calling process does the
first segment itself, one "spawn" process (MediaPipe is not fork-safe, and the app
calls from a server thread) does each other one.

A worker is started with only its queues; its job follows through its own queue, fed by
a background thread, so the caller starts on its own segment at once (a job can be
large, e.g. the render's scene, and a worker unpickles it only after importing what the
job's classes need: ~0.6 s the caller used to wait for).

Protocol: a worker sends ("progress", segment, n_frames_done), then ("done", segment,
(n_frames, result)), or ("serial", segment, why) for `NeedSerial`, ("video_error",
segment, message) for `VideoError`, ("error", segment, text) for anything else.
`run_segments` turns these back into the same exceptions in the calling thread, reports
`progress(stage, fraction, eta_s)` there, and always stops every worker before it
returns or raises (the progress callback raising, Ctrl-C, an error in a worker).
Workers ignore SIGINT (the parent stops them) and quit if the parent dies.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from gait.clip_file import VideoError
from gait.progress import Progress, ProgressThrottle
from gait.segment_decode import NeedSerial

STOP_WAIT_S = 5.0
WORKER_LOST_S = 3.0  # a worker gone this long without its result has crashed
OnFrame = Callable[[int], None]
Work = Callable[[Any, OnFrame], tuple[int, Any]]  # (job, on_frame) -> (n_frames, result)


def can_start_workers() -> bool:
    """False inside a daemonic process (e.g. a multiprocessing pool's worker), which may
    not start processes of its own."""
    return not multiprocessing.current_process().daemon


def serve(jobs: multiprocessing.Queue, messages: multiprocessing.Queue, work: Work) -> None:
    """The body of a worker process: take its job from `jobs`, run `work(job, on_frame)`,
    report to `messages`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us on Ctrl-C
    parent = multiprocessing.parent_process()
    job = jobs.get()
    segment = job.segment

    def on_frame(n_done: int) -> None:
        if n_done % 10 == 0:
            messages.put(("progress", segment, n_done))
        if n_done % 50 == 0 and parent is not None and not parent.is_alive():
            raise SystemExit(1)  # orphaned: nobody wants the result

    try:
        messages.put(("done", segment, work(job, on_frame)))
    except NeedSerial as exc:
        messages.put(("serial", segment, str(exc)))
    except VideoError as exc:
        messages.put(("video_error", segment, str(exc)))
    except Exception as exc:  # reported to the parent, which raises it
        messages.put(("error", segment, f"{type(exc).__name__}: {exc}\n"
                                         f"{traceback.format_exc()}"))


class _Workers:
    """The worker processes of one run and what they have reported."""

    def __init__(self, jobs: Sequence[Any], target: Callable[[Any, Any], None], name: str
                 ) -> None:
        context = multiprocessing.get_context("spawn")
        self.messages = context.Queue()
        self.jobs = {job.segment: job for job in jobs}
        self.job_queues = {job.segment: context.Queue() for job in jobs}
        self.processes = {
            job.segment: context.Process(target=target,
                                         args=(self.job_queues[job.segment], self.messages),
                                         name=f"hipdrive-{name}-{job.segment}", daemon=True)
            for job in jobs}
        self.done_frames = {job.segment: 0 for job in jobs}
        self.results: dict[int, Any] = {}
        self.gone_since: dict[int, float] = {}

    def start(self) -> None:
        for segment, process in self.processes.items():
            process.start()
            self.job_queues[segment].put(self.jobs[segment])  # sent in the background

    def poll(self, timeout_s: float = 0.0) -> None:
        """Take in every waiting message (waiting up to `timeout_s` for the first)."""
        block = timeout_s > 0
        while True:
            try:
                message = (self.messages.get(True, timeout_s) if block
                           else self.messages.get_nowait())
            except queue_module.Empty:
                break
            block = False
            kind, segment, payload = message
            if kind == "progress":
                self.done_frames[segment] = payload
            elif kind == "done":
                self.done_frames[segment], self.results[segment] = payload
            elif kind == "serial":
                raise NeedSerial(payload)
            elif kind == "video_error":
                raise VideoError(payload)
            else:
                raise RuntimeError(f"Worker process {segment} failed: {payload}")
        self._check_alive()

    def _check_alive(self) -> None:
        now_s = time.monotonic()
        for segment, process in self.processes.items():
            if segment in self.results or process.exitcode is None:
                continue
            since_s = self.gone_since.setdefault(segment, now_s)
            if now_s - since_s > WORKER_LOST_S:
                raise RuntimeError(
                    f"Worker process {segment} ended (exit code {process.exitcode}) without a "
                    "result. A script that calls gait must do so under `if __name__ == "
                    "\"__main__\":` (worker processes import the main module), or pass "
                    "workers=1.")

    def stop(self) -> None:
        """Stop every worker still running and wait for them (kill if need be)."""
        for process in self.processes.values():
            if process.is_alive():
                process.terminate()
        deadline_s = time.monotonic() + STOP_WAIT_S
        for process in self.processes.values():
            if process.pid is None:
                continue
            process.join(max(0.0, deadline_s - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for channel in (self.messages, *self.job_queues.values()):
            channel.close()
            channel.cancel_join_thread()


def run_segments(jobs: Sequence[Any], *, first: Work, target: Callable[[Any, Any], None],
                 n_frames: int, stage: str, progress: Progress | None) -> list[Any]:
    """Results of every job, in order: jobs[0] by `first(job, on_frame)` here, the others
    by `target(jobs, messages)` (a module-level function calling `serve`) in workers.
    `progress(stage, …)` gets the overall fraction of `n_frames`."""
    throttle = ProgressThrottle(progress, stage, n_frames)
    throttle.update(0)
    workers = _Workers(jobs[1:], target, stage)
    try:
        workers.start()

        def on_frame(n_done: int) -> None:
            workers.poll()
            throttle.update(n_done + sum(workers.done_frames.values()))

        n_first, first_result = first(jobs[0], on_frame)
        while len(workers.results) < len(jobs) - 1:
            workers.poll(timeout_s=0.2)
            throttle.update(n_first + sum(workers.done_frames.values()))
    finally:
        workers.stop()
    return [first_result, *(workers.results[job.segment] for job in jobs[1:])]
