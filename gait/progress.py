"""Progress reports: `progress(stage, fraction_done, eta_s)`, the one callback shape every
long step takes (stage: "pose", "render", "analysis", …; fraction in [0, 1]; eta_s
seconds left, or None while unknown), and a throttle so that a per-frame loop reports
at most every PROGRESS_INTERVAL_S."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str, float, float | None], None]
PROGRESS_INTERVAL_S = 0.25


class ProgressThrottle:
    """Reports `progress(stage, fraction_done, eta_s)` at most every PROGRESS_INTERVAL_S.

    `n_total` is the expected number of items (frames); fractions are capped at 1.
    The ETA comes from the rate since the first item was done, so the time before it
    (loading the pose model, opening the file) does not inflate it; it is None until
    more items are done (or when `n_total` is unknown).
    """

    def __init__(self, progress: Progress | None, stage: str, n_total: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.progress = progress
        self.stage = stage
        self.n_total = n_total
        self.clock = clock
        self.last_s = -float("inf")
        self.first: tuple[float, int] | None = None  # (time, items) when items were first done

    def update(self, n_done: int) -> None:
        now_s = self.clock()
        if self.first is None and n_done > 0:  # noted on every call, reported or not
            self.first = (now_s, n_done)
        if self.progress is None or now_s - self.last_s < PROGRESS_INTERVAL_S:
            return
        self.last_s = now_s
        if self.n_total <= 0 or self.first is None:
            self.progress(self.stage, 0.0, None)
            return
        first_s, first_n = self.first
        eta_s = None
        if n_done > first_n and now_s > first_s:
            rate = (n_done - first_n) / (now_s - first_s)
            eta_s = max(self.n_total - n_done, 0) / rate
        self.progress(self.stage, min(n_done / self.n_total, 1.0), eta_s)

    def done(self) -> None:
        if self.progress is not None:
            self.progress(self.stage, 1.0, 0.0)
