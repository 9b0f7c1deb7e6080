"""gait.progress: the throttled progress reports and their time left."""

from __future__ import annotations

from gait.progress import PROGRESS_INTERVAL_S, ProgressThrottle


def test_time_left_comes_from_the_rate_after_the_first_frame_not_the_model_load():
    """The pose model takes 3 s to load before the first of 100 frames, then frames come
    at 10 per second: after 30 frames about 7 s are left (the average since the start
    would say 13 s)."""
    now = [0.0]
    reports = []
    throttle = ProgressThrottle(lambda *r: reports.append(r), "pose", 100, clock=lambda: now[0])
    throttle.update(0)
    assert reports[-1] == ("pose", 0.0, None)
    now[0] = 3.1  # the model loaded, the first frame done
    throttle.update(1)
    assert reports[-1][2] is None  # one report with frames done: no rate yet
    now[0] = 3.1 + 2.9
    throttle.update(30)
    stage, fraction, eta_s = reports[-1]
    assert (stage, fraction) == ("pose", 0.3)
    assert abs(eta_s - 7.0) < 0.01
    now[0] += PROGRESS_INTERVAL_S / 2  # throttled: no report
    throttle.update(31)
    assert len(reports) == 3
    throttle.done()
    assert reports[-1] == ("pose", 1.0, 0.0)
