"""The command line as a user runs it: the output contract and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from synthetic.encode import encode_clip
from synthetic.render_runner import make_clip

GAIT = [sys.executable, "-m", "gait.cli"]
ROOT = Path(__file__).resolve().parents[1]


def run_gait(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([*GAIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def assert_clean_error(proc: subprocess.CompletedProcess, phrase: str) -> None:
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and phrase in last, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    clip, run = make_clip(folder, fps=60, direction=+1, treadmill=True, seconds=6.0, seed=3)
    out = folder / "results"
    proc = run_gait("analyze", clip, "--out", out, "--speed", "3.5", "--treadmill",
                    "--height", "1.75")
    return proc, out, run


def test_analyze_writes_the_contract(analysed):
    proc, out, run = analysed
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "annotated.mp4", "frames.csv", "report.html", "strides.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    for key in ("cadence_spm", "direction", "near_side", "speed_mps", "speed_source",
                "per_side", "reference", "drills", "quality", "software"):
        assert key in summary
    assert summary["direction"] == "left_to_right" and summary["near_side"] == run.near_side
    assert summary["speed_mps"] == 3.5 and summary["speed_source"] == "entered by the user"
    assert summary["treadmill"] is True
    assert abs(summary["cadence_spm"] - run.cadence_spm) < 0.02 * run.cadence_spm
    for drill in summary["drills"]:
        assert {"id", "name", "why", "evidence", "dosage"} <= drill.keys()
    strides = pd.read_csv(out / "strides.csv")
    for col in ("side", "stride", "start_s", "end_s", "toe_off_s", "peak_hip_extension_deg",
                "peak_thigh_extension_deg", "peak_hip_flexion_deg", "peak_thigh_flexion_deg",
                "hip_rom_deg", "thigh_at_strike_deg", "thigh_at_toe_off_deg",
                "knee_at_strike_deg", "peak_knee_flexion_swing_deg", "shank_at_strike_deg",
                "trunk_lean_deg", "contact_time_s", "confidence"):
        assert col in strides.columns
    assert set(strides["side"]) == {"left", "right"} and len(strides) >= 10
    frames = pd.read_csv(out / "frames.csv")
    assert len(frames) == 360
    assert {"frame", "time_s", "right_knee_x_px", "right_thigh_deg", "swap_repaired"} <= set(
        frames.columns)


def test_last_line_is_the_reliability_verdict(analysed):
    proc, out, _ = analysed
    verdict = json.loads((out / "summary.json").read_text())["reliability"]
    assert verdict["verdict"] in ("reliable", "use_with_care", "not_reliable")
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(f"reliability: {verdict['verdict']} — "), proc.stdout
    if verdict["reasons"]:
        assert last.endswith(verdict["reasons"][0]["message"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.index('id="reliability"') < html.index('id="summary"')


def test_annotated_video_is_browser_playable_h264(analysed):
    _, out, _ = analysed
    with av.open(str(out / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in container.decode(stream)) == 360


def test_report_is_self_contained(analysed):
    _, out, _ = analysed
    html = (out / "report.html").read_text()
    assert "<svg" in html and "<script src" not in html


def test_a_reader_that_stops_listening_is_no_error(analysed, tmp_path):
    """`gait analyze clip | head -1`: the reader closes the pipe before the summary is
    printed. The analysis is written, so that is no error (no message, exit code 0)."""
    _, results, _ = analysed
    clip = next(results.parent.glob("*.mp4"))
    out = tmp_path / "piped"
    proc = subprocess.Popen([*GAIT, "analyze", str(clip), "--out", str(out), "--no-video",
                             "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader went away before anything was printed
    stderr = proc.stderr.read()
    assert proc.wait(timeout=600) == 0, stderr
    assert "error" not in stderr and "Traceback" not in stderr, stderr
    assert (out / "summary.json").is_file()


def test_missing_file(tmp_path):
    proc = run_gait("analyze", tmp_path / "nope.mp4", "--out", tmp_path / "out")
    assert_clean_error(proc, "not found")
    assert not (tmp_path / "out").exists()


def test_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 100)
    proc = run_gait("analyze", fake, "--out", tmp_path / "out")
    assert_clean_error(proc, "video")
    assert not (tmp_path / "out").exists()


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    assert_clean_error(run_gait("analyze", empty, "--out", tmp_path / "out"), "empty")


def test_truncated_file(tmp_path):
    clip, _ = make_clip(tmp_path, fps=30, seconds=3.0)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    proc = run_gait("analyze", cut, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: ")


def _write_clip(path: Path, frames: list[np.ndarray], fps: int = 30) -> None:
    encode_clip(path, frames, fps=fps)


def test_no_person_in_view(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(60, 200, (240, 320, 3), dtype=np.uint8)
    clip = tmp_path / "empty_room.mp4"
    _write_clip(clip, [np.roll(base, i, axis=1) for i in range(90)])
    out = tmp_path / "out"
    assert_clean_error(run_gait("analyze", clip, "--out", out), "No runner was found")
    assert not out.exists()


def test_too_short(tmp_path):
    clip = tmp_path / "blink.mp4"
    _write_clip(clip, [np.full((120, 160, 3), 128, np.uint8)] * 15)
    assert_clean_error(run_gait("analyze", clip, "--out", tmp_path / "out"), "only 0.5 s long")


def test_existing_results_survive_a_failed_run(analysed, tmp_path):
    _, out, _ = analysed
    before = (out / "summary.json").read_bytes()
    fake = tmp_path / "bad.mp4"
    fake.write_text("nope")
    assert_clean_error(run_gait("analyze", fake, "--out", out), "video")
    assert (out / "summary.json").read_bytes() == before


def test_portrait_phone_clip_is_analysed_upright(tmp_path):
    clip, run = make_clip(tmp_path, fps=30, direction=-1, treadmill=True, seconds=6.0,
                          rotation_deg=90, seed=5)
    out = tmp_path / "out"
    proc = run_gait("analyze", clip, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["video"]["rotation_deg"] in (90, 270)
    assert summary["direction"] == "right_to_left" and summary["near_side"] == run.near_side
    assert abs(summary["cadence_spm"] - run.cadence_spm) < 0.02 * run.cadence_spm
    assert not (out / "annotated.mp4").exists()


def test_bad_option_values_are_explained(tmp_path):
    clip = tmp_path / "x.mp4"
    clip.write_bytes(b"")
    assert_clean_error(run_gait("analyze", clip, "--out", tmp_path / "o", "--height", "178"),
                       "--height")


def test_an_analysis_that_does_not_save_never_loads_the_database_layer(tmp_path):
    clip, _ = make_clip(tmp_path, fps=30, direction=+1, treadmill=True, seconds=4.0, seed=5)
    code = ("import sys\n"
            "from gait.cli import main\n"
            f"status = main(['analyze', {str(clip)!r}, '--out', {str(tmp_path / 'out')!r},"
            " '--no-video', '--quiet'])\n"
            "print(status, 'sqlalchemy' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert proc.stdout.strip().splitlines()[-1] == "0 False", proc.stderr


def test_a_slowed_clip_without_strides_is_told_the_flag_that_fixes_it(monkeypatch, capsys):
    """The engine's slow-motion refusal is worded for every surface; the command line adds
    its own flag (the app adds its box)."""
    from gait import cli
    from gait.result import SlowMotionError

    def refuse(_args):
        raise SlowMotionError("The steps look about 2× slower than running: give its real "
                              "capture rate.")

    monkeypatch.setattr(cli, "run_analyze", refuse)
    assert cli.main(["analyze", "clip.mp4", "--out", "out"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: The steps look") and err.endswith("--capture-fps N)")


def _pictures(clip: Path) -> list[np.ndarray]:
    with av.open(str(clip)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_a_clip_edited_from_two_shots_is_analysed_on_the_longer_one(tmp_path):
    """Two rendered runs joined by a hard cut (the first in a dimmer room, slower): the
    cut is found from the pictures, only the longer shot is analysed, and the user is
    told which part and why."""
    first, _ = make_clip(tmp_path, fps=30, treadmill=True, seconds=2.5, speed_mps=3.0,
                         seed=3, name="first")
    second, run = make_clip(tmp_path, fps=30, treadmill=True, seconds=6.0, speed_mps=4.0,
                            seed=5, name="second")
    dim = [(0.45 * p).astype(np.uint8) for p in _pictures(first)]
    clip = encode_clip(tmp_path / "edited.mp4", dim + _pictures(second), fps=30)
    out = tmp_path / "out"
    proc = run_gait("analyze", clip, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    cut_s = len(dim) / 30
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shot"]["cut_times_s"] == [pytest.approx(cut_s, abs=0.01)]
    assert summary["shot"]["from_s"] == pytest.approx(cut_s, abs=0.01)
    assert "The clip is cut together from 2 shots" in proc.stdout
    strides = pd.read_csv(out / "strides.csv")
    assert len(strides) >= 10 and strides["start_s"].min() >= cut_s
    assert summary["cadence_spm"] == pytest.approx(run.cadence_spm, rel=0.02)


def test_the_summary_line_says_how_the_picture_was_levelled():
    from gait.cli import _levelled_words

    assert _levelled_words(None) == ""  # no true vertical found: nothing said
    assert _levelled_words(0.0) == " (picture level: its true vertical was found)"
    assert _levelled_words(-0.04) == " (picture level: its true vertical was found)"
    assert _levelled_words(1.26) == " (picture levelled by +1.3°)"
