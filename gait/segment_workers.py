"""Run the segments of one clip on several cores, as threads of the calling process:
the calling thread does the first segment itself, one thread does each other one.

Threads, not processes: the per-frame work releases the GIL (MediaPipe's graph, PyAV's
decoding and encoding, OpenCV), so two threads use two cores (measured: 600 720p frames
through MediaPipe in 4.96 s on two threads against 9.16 s on one, 9.7 against 9.3
CPU-s). A thread needs no interpreter start, imports or pickled job (~0.6 s a process
took before its first frame), shares the loaded modules, and a script calling gait needs
no `if __name__ == "__main__":` guard.

Each job runs `work(job, on_frame)` → (n_frames, result); `on_frame(n_done)` is called
after each of the job's own frames. Progress, cancellation and errors stay in the calling
thread: it reports `progress(stage, fraction, eta_s)` with the overall fraction, and
whatever the callback raises (a cancelled job, Ctrl-C) stops every other thread at its
next frame, before `run_segments` re-raises it. An exception in another thread (e.g.
`VideoError`, `NeedSerial`) stops the rest the same way and is raised in the calling
thread as itself. `run_segments` returns or raises only once every thread has ended.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from gait.progress import Progress, ProgressThrottle

POLL_S = 0.2  # how often the calling thread reports progress once its own job is done
OnFrame = Callable[[int], None]
Work = Callable[[Any, OnFrame], tuple[int, Any]]  # (job, on_frame) -> (n_frames, result)


class _Stopped(Exception):  # noqa: N818 — a signal between the threads of one run
    """Raised inside a segment thread to end it early: the run is stopping."""


class _Run:
    """The shared state of one run: frames done per job, results, the first error."""

    def __init__(self, n_jobs: int) -> None:
        self.done_frames = [0] * n_jobs
        self.results: list[Any] = [None] * n_jobs
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def fail(self, error: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = error
        self.stopping.set()

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error


def _segment_thread(run: _Run, k: int, job: Any, work: Work) -> None:
    """Body of segment k's thread."""

    def on_frame(n_done: int) -> None:
        run.done_frames[k] = n_done
        if run.stopping.is_set():
            raise _Stopped

    try:
        run.done_frames[k], run.results[k] = work(job, on_frame)
    except _Stopped:
        pass
    except BaseException as exc:  # noqa: BLE001 — handed to the calling thread, raised there
        run.fail(exc)


def run_segments(jobs: Sequence[Any], *, work: Work, n_frames: int, stage: str,
                 progress: Progress | None) -> list[Any]:
    """Results of `work` on every job, in order: jobs[0] in this thread, each other job
    in a thread of its own (named hipdrive-<stage>-<k>). `progress(stage, …)` gets the
    overall fraction of `n_frames`."""
    throttle = ProgressThrottle(progress, stage, n_frames)
    throttle.update(0)
    run = _Run(len(jobs))
    threads = [threading.Thread(target=_segment_thread, args=(run, k, job, work),
                                name=f"hipdrive-{stage}-{k}", daemon=True)
               for k, job in enumerate(jobs) if k]
    for thread in threads:
        thread.start()
    try:

        def on_frame(n_done: int) -> None:
            run.done_frames[0] = n_done
            run.raise_if_failed()
            throttle.update(sum(run.done_frames))

        run.done_frames[0], run.results[0] = work(jobs[0], on_frame)
        for thread in threads:
            while thread.is_alive():
                thread.join(POLL_S)
                run.raise_if_failed()
                throttle.update(sum(run.done_frames))
        run.raise_if_failed()
    finally:
        run.stopping.set()
        for thread in threads:
            thread.join()
    return run.results

