"""`gait batch`: many clips, one folder each, worker processes, batch.csv, re-runs that
skip what is done, saving, and one bad clip never stopping the others. With `--ray`: a
real local Ray head on 127.0.0.1 with worker processes (as a club's cluster would run),
clip bytes and results through Ray's object store (the workers never see the clips'
paths), and the same strides as the serial path."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import BatchTask, _collect, analyse_path, find_clips, output_names
from gait.result import AnalysisError, AnalysisOptions, SlowMotionError
from synthetic.render_runner import make_clip
from tests.ray_cluster import ENV
from tests.test_cli import GAIT, ROOT


def run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*GAIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=900, env={**os.environ, **(env or {})})


def rows(out: Path) -> list[dict]:
    with (out / "batch.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    """Two athletes' folders: ana/run.mp4 and ben/run.mp4 (rendered), ben/notes.mp4 (text)."""
    root = tmp_path_factory.mktemp("squad")
    truth = {}
    for name, seed in (("ana", 21), ("ben", 22)):
        folder = root / name
        folder.mkdir()
        _, run_ = make_clip(folder, fps=30, seconds=5.0, seed=seed, name="run")
        truth[name] = run_
    (root / "ben" / "notes.mp4").write_text("not a video")
    return root, truth


@pytest.fixture(scope="module")
def batched(squad, tmp_path_factory):
    root, truth = squad
    out = tmp_path_factory.mktemp("batch") / "out"
    proc = run("batch", root / "ana", root / "ben", "--out", out, "--jobs", "2", "--no-video")
    return proc, out


def test_every_clip_gets_its_folder_and_a_row(batched, squad):
    proc, out = batched
    root, truth = squad
    assert proc.returncode == 0, proc.stderr
    table = rows(out)
    assert [Path(r["clip"]).relative_to(root).as_posix() for r in table] == [
        "ana/run.mp4", "ben/notes.mp4", "ben/run.mp4"]
    assert [r["status"] for r in table] == ["ok", "error", "ok"]
    assert "not a video" in table[1]["error"]
    for row, name in ((table[0], "ana"), (table[2], "ben")):
        folder = Path(row["output"])
        assert {"summary.json", "strides.csv", "frames.csv", "report.html"} <= {
            p.name for p in folder.iterdir()}
        assert float(row["cadence_spm"]) == pytest.approx(truth[name].cadence_spm, rel=0.02)
        assert row["reliability"] in ("reliable", "use_with_care", "not_reliable")
        # what a coach needs to read the row without opening the folder
        summary = json.loads((folder / "summary.json").read_text())
        assert row["near_side"] == summary["near_side"] == truth[name].near_side
        assert (int(row["strides_left"]), int(row["strides_right"])) == (
            summary["per_side"]["left"]["n_strides"], summary["per_side"]["right"]["n_strides"])
        assert row["reliability_reasons"] == "; ".join(
            r["id"] for r in summary["reliability"]["reasons"])
        # and a line each in the terminal
        line = next(x for x in proc.stdout.splitlines() if x.startswith("run.mp4: cadence")
                    and f"{row['cadence_spm']} steps/min" in x)
        assert f"near ({row['near_side']}) leg" in line and row["reliability"] in line
    assert [Path(r["output"]).name for r in table] == ["run", "notes", "run-2"]
    assert "3 clips: 2 analysed, 1 refused, 0 failed" in proc.stdout


def test_parallel_workers_give_the_serial_strides(batched, squad, tmp_path):
    _, out = batched
    root, _ = squad
    single = tmp_path / "single"
    proc = run("analyze", root / "ben" / "run.mp4", "--out", single, "--no-video", "--quiet")
    assert proc.returncode == 0, proc.stderr
    serial = pd.read_csv(single / "strides.csv")
    parallel = pd.read_csv(out / "run-2" / "strides.csv")
    pd.testing.assert_frame_equal(serial, parallel)


def test_a_rerun_skips_clips_already_done(batched, squad):
    _, out = batched
    root, _ = squad
    before = (out / "run" / "summary.json").stat().st_mtime_ns
    proc = run("batch", root / "ana", root / "ben", "--out", out, "--no-video", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "(3 done before, skipped)" in proc.stdout
    assert (out / "run" / "summary.json").stat().st_mtime_ns == before
    assert [r["status"] for r in rows(out)] == ["ok", "error", "ok"]


def test_other_options_analyse_again(batched, squad):
    _, out = batched
    root, _ = squad
    proc = run("batch", root / "ana", "--out", out, "--no-video", "--quiet", "--speed", "3.2")
    assert proc.returncode == 0, proc.stderr
    assert "(0 done before, skipped)" in proc.stdout
    summary = json.loads((out / "run" / "summary.json").read_text())
    assert summary["speed_mps"] == 3.2


def test_save_with_the_athlete_from_the_folder(squad, tmp_path):
    from gait.store import Store

    root, _ = squad
    data = tmp_path / "data"
    env = {"HIPDRIVE_DATA_DIR": str(data)}
    proc = run("batch", root / "ana", root / "ben", "--out", tmp_path / "out", "--no-video",
               "--quiet", "--save", "--athlete-from-folder", env=env)
    assert proc.returncode == 0, proc.stderr
    table = rows(tmp_path / "out")
    saved = [r for r in table if r["status"] == "ok"]
    assert all(r["share_path"].startswith("/?analysis=") for r in saved)
    assert all("&delete=" in r["delete_path"] for r in saved)
    store = Store(f"sqlite:///{data / 'hipdrive.sqlite3'}", files_dir=data / "files")
    try:
        names = sorted(store.squad()["athlete_name"])
    finally:
        store.close()
    assert names == ["ana", "ben"]


def test_bad_batch_command_lines_give_one_error_line(squad, tmp_path):
    root, _ = squad
    for args in (("--jobs", "0"), ("--athlete", "x"), ("--speed", "nan")):
        proc = run("batch", root / "ana", "--out", tmp_path / "o", *args)
        assert proc.returncode == 2, proc.stderr
        assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]) == 1


def test_a_crashed_clip_is_failed_and_not_remembered(tmp_path):
    """A worker that raises (not a clean refusal) gives a `failed:` row, no receipt (a
    re-run tries it again), and the batch goes on."""
    task = BatchTask(clip=tmp_path / "x.mp4", out_dir=tmp_path / "x", options={},
                     with_video=False, fingerprint="f")
    row, ok = _collect(task, MemoryError("out of memory"), on_report=None)
    assert not ok and row["status"] == "error" and row["error"].startswith("failed: ")
    assert not (tmp_path / "x").exists()


def test_clip_discovery_and_folder_names(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("b.MP4", "a.mov", "c.txt"):
        (tmp_path / "a" / name).write_bytes(b"x")
    clips = find_clips([tmp_path / "a", tmp_path / "a" / "a.mov"])
    assert [c.name for c in clips] == ["a.mov", "b.MP4", "a.mov"]
    assert output_names(clips) == ["a", "b", "a-2"]


# -- Ray ------------------------------------------------------------------------------
def test_a_batch_on_a_ray_cluster_matches_the_serial_path(ray_head, squad, tmp_path):
    root, _ = squad
    # the clips are copied to a folder the workers are never told about: only bytes travel
    hidden = tmp_path / "clips"
    shutil.copytree(root, hidden)
    out = tmp_path / "ray_out"
    proc = run("batch", hidden / "ana", hidden / "ben", "--out", out, "--no-video", "--quiet",
               "--ray", ray_head, env=ENV)
    assert proc.returncode == 0, proc.stderr
    table = rows(out)
    assert [r["status"] for r in table] == ["ok", "error", "ok"]
    serial = tmp_path / "serial"
    proc = run("batch", hidden / "ana", hidden / "ben", "--out", serial, "--no-video",
               "--quiet")
    assert proc.returncode == 0, proc.stderr
    for name in ("run", "run-2"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name / "strides.csv"),
                                      pd.read_csv(serial / name / "strides.csv"))
        summary = (out / name / "summary.json").read_text()
        assert "hipdrive-batch-" not in summary  # the worker's temp name is not kept


@pytest.mark.parametrize("error, slow", [(SlowMotionError, True), (AnalysisError, False)])
def test_a_workers_slow_motion_refusal_keeps_its_kind(monkeypatch, tmp_path, error, slow):
    """A clip analysed by a worker (a batch process or a Ray task) comes back as a
    message; the app says where the capture rate goes only for a slow-motion refusal, so
    that kind must survive the trip (it was lost on the Ray path)."""
    from gait import pipeline
    from ui import service

    def refuse(*_args, **_kwargs):
        raise error("The steps look slow.")

    monkeypatch.setattr(pipeline, "analyze_video", refuse)
    analysed = analyse_path(tmp_path / "clip.mp4", {}, False)
    assert analysed.report is None and analysed.error == "The steps look slow."
    assert analysed.slow_motion is slow

    class Cluster:
        def run(self, *_args, **_kwargs):
            return analysed

    with pytest.raises(AnalysisError) as raised:
        service._on_cluster(Cluster(), tmp_path / "clip.mp4", tmp_path / "out.mp4", "key",
                            AnalysisOptions(), lambda *_: None)
    assert type(raised.value) is error and str(raised.value) == "The steps look slow."


def test_a_clip_with_cuts_names_the_shot_analysed_in_its_row(monkeypatch, tmp_path):
    """A coach reading batch.csv sees which part of an edited clip was analysed."""
    from gait import pipeline
    from gait.batch import write_analysis
    from tests.test_shots import cut_together

    track, _ = cut_together(4.0, 8.0)
    monkeypatch.setattr(pipeline, "analyze_video", lambda *_args, **_kwargs:
                        pipeline.analyze_track(track, capture_fps=60.0))
    analysed = analyse_path(tmp_path / "edited.mp4", {}, False)
    task = BatchTask(clip=tmp_path / "edited.mp4", out_dir=tmp_path / "edited", options={},
                     with_video=False, fingerprint="x")
    assert write_analysis(task, analysed)["analysed_s"] == "4.0-12.0"
    uncut = track.with_arrays(flags={})
    monkeypatch.setattr(pipeline, "analyze_video", lambda *_args, **_kwargs:
                        pipeline.analyze_track(uncut, capture_fps=60.0))
    one_take = analyse_path(tmp_path / "one_take.mp4", {}, False)
    task = BatchTask(clip=tmp_path / "one_take.mp4", out_dir=tmp_path / "one_take",
                     options={}, with_video=False, fingerprint="y")
    assert write_analysis(task, one_take)["analysed_s"] == ""


def test_a_row_kept_from_an_older_receipt_still_prints():
    """A re-run takes a done clip's row from its receipt; one written before the near
    side, stride counts and reasons were columns lacks them: shown as "?"."""
    from gait.batch_cli import batch_row_line

    old = {"clip": "/clips/ana/run.mp4", "status": "ok", "cadence_spm": 171.2,
           "near_peak_thigh_extension_deg": 18.7, "reliability": "reliable"}
    assert batch_row_line(old) == ("run.mp4: cadence 171.2 steps/min, near (?) leg peak thigh "
                                   "extension 18.7°, strides ? left + ? right; reliable")


def test_each_clip_gets_the_settings_of_its_row(squad, tmp_path):
    """A coach's --clip-settings CSV: each clip's own height, speed, camera height and
    athlete; an empty cell takes the flag's value; without CLIP_OR_FOLDER the file's
    clips are the batch (the text file in ben/ is not among them)."""
    from gait.store import Store

    root, _ = squad
    settings = root / "squad.csv"
    settings.write_text("clip,height_m,speed_m_per_s,camera_height,athlete\n"
                        "ana/run.mp4,1.62,,low,Ana B.\n"
                        "ben/run.mp4,1.91,3.4,,\n", encoding="utf-8")
    data = tmp_path / "data"
    out = tmp_path / "out"
    proc = run("batch", "--clip-settings", settings, "--out", out, "--no-video", "--quiet",
               "--speed", "3.0", "--save", "--athlete-from-folder",
               env={"HIPDRIVE_DATA_DIR": str(data)})
    assert proc.returncode == 0, proc.stderr
    table = rows(out)
    assert [Path(r["clip"]).relative_to(root).as_posix() for r in table] == [
        "ana/run.mp4", "ben/run.mp4"]
    options = [json.loads((Path(r["output"]) / "summary.json").read_text())["options"]
               for r in table]
    assert [(o["height_m"], o["speed_mps"], o["camera_height"]) for o in options] == [
        (1.62, 3.0, "low"), (1.91, 3.4, None)]
    assert "camera_low" in table[0]["reliability_reasons"]
    assert "camera_low" not in table[1]["reliability_reasons"]
    store = Store(f"sqlite:///{data / 'hipdrive.sqlite3'}", files_dir=data / "files")
    try:
        names = sorted(store.squad()["athlete_name"])
    finally:
        store.close()
    assert names == ["Ana B.", "ben"]  # the row's name, else the folder's
