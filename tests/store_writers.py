"""Worker processes for the concurrent-save tests (importable by spawned children)."""

from __future__ import annotations

import time
from pathlib import Path


def small_report(seed: int = 0):
    """A real analysis of a short synthetic run (no video): ~0.05 s."""
    from gait.pipeline import analyze_track
    from synthetic.runner_model import synthesize_run, to_pose_track

    run = synthesize_run(fps=60, duration_s=6, seed=seed)
    return analyze_track(to_pose_track(run, seed=seed), capture_fps=60)


def save_many(url: str, files_dir: str, worker: int, count: int, shared_name: str,
              video: str, start_at: float) -> list[str]:
    """At `start_at` (wall clock, the same for every worker) open the store, racing
    the other workers' migrations, and save `count` analyses: half into the squad under
    `shared_name`, half to one private athlete through its history token (a read, then
    writes, in one transaction), every one keeping `video` as its annotated video."""
    from gait.store import Store

    report = small_report(seed=worker)
    time.sleep(max(0.0, start_at - time.time()))  # all workers go at the same moment
    store = Store(url, files_dir=Path(files_dir))
    tokens, own_athlete = [], None
    for i in range(count):
        squad = i % 2 == 0
        receipt = store.save(report, athlete_name=shared_name if squad else f"w{worker}",
                             athlete_token=None if squad else own_athlete, squad=squad,
                             note=f"worker {worker} save {i}", annotated_video=Path(video))
        own_athlete = own_athlete if squad else receipt.athlete_token
        tokens.append(receipt.token)
    store.close()
    return tokens


def join_workshop(url: str, files_dir: str, workshop_id: int, nickname: str,
                  start_at: float) -> str:
    """One participant: at `start_at`, save one analysis onto the workshop's board."""
    from gait.store import Store

    report = small_report(seed=len(nickname))
    time.sleep(max(0.0, start_at - time.time()))
    store = Store(url, files_dir=Path(files_dir))
    try:
        return store.save(report, athlete_name=nickname, workshop_id=workshop_id).token
    finally:
        store.close()
