"""`gait analyze … --save [--athlete NAME]`: saves through the app's store and prints
the share path; misuse and an unreachable database give one clean error line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from gait.store import Store
from synthetic.render_runner import make_clip
from tests.test_cli import assert_clean_error

ROOT = Path(__file__).resolve().parents[1]


def run_gait(*args, data_dir: Path, database_url: str | None = None):
    env = {**os.environ, "HIPDRIVE_DATA_DIR": str(data_dir)}
    env.pop("HIPDRIVE_DATABASE_URL", None)
    if database_url:
        env["HIPDRIVE_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "gait.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _run = make_clip(tmp_path_factory.mktemp("clip"), fps=60, direction=+1,
                           treadmill=True, seconds=6.0, seed=5)
    return path


def test_save_prints_the_share_path_and_the_store_has_it(clip, tmp_path):
    name = "<b>Zoë</b> O'Neil"
    proc = run_gait("analyze", clip, "--save", "--athlete", name, "--keep-annotated",
                    "--date", "2026-01-02", "--note", "before the block", "--speed", "3.5",
                    "--quiet", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    share = re.search(r"^saved: /\?analysis=([A-Za-z0-9_-]{43})$", proc.stdout, re.M)
    history = re.search(r"^athlete history: /\?athlete=([A-Za-z0-9_-]{43})$", proc.stdout,
                        re.M)
    assert share and history, proc.stdout
    store = Store(f"sqlite:///{tmp_path / 'hipdrive.sqlite3'}", files_dir=tmp_path / "files")
    saved = store.load(share.group(1))
    assert saved.athlete.name == name and saved.athlete.in_squad
    assert saved.athlete.token == history.group(1)
    assert saved.recorded_on == date(2026, 1, 2) and saved.note == "before the block"
    assert set(saved.files) == {"annotated_video"}  # the original clip is not kept
    assert saved.files["annotated_video"].stat().st_size > 10_000
    assert saved.report.summary.speed_mps == pytest.approx(3.5)
    assert len(saved.report.strides) >= 4
    assert list(store.squad()["athlete_name"]) == [name]
    store.close()


def test_save_without_out_writes_no_folder_and_keeps_no_video(clip, tmp_path):
    proc = run_gait("analyze", clip, "--save", "--no-video", "--keep-video", "--quiet",
                    data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr
    token = re.search(r"analysis=([A-Za-z0-9_-]{43})", proc.stdout).group(1)
    store = Store(f"sqlite:///{tmp_path / 'data' / 'hipdrive.sqlite3'}",
                  files_dir=tmp_path / "data" / "files")
    saved = store.load(token)
    assert set(saved.files) == {"raw_video"}
    assert saved.files["raw_video"].read_bytes() == clip.read_bytes()
    assert not saved.athlete.in_squad  # no --athlete: a private analysis
    store.close()


@pytest.mark.parametrize(("args", "phrase"), [
    ((), "--out DIR, and/or --save"),
    (("--out", "OUT", "--athlete", "Ann"), "only apply with --save"),
    (("--save", "--no-video", "--keep-annotated"), "drop --no-video"),
])
def test_misuse_is_explained(clip, tmp_path, args, phrase):
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    proc = run_gait("analyze", clip, *args, data_dir=tmp_path)
    assert_clean_error(proc, phrase)
    assert not (tmp_path / "out").exists()


def test_unreachable_database_is_one_clean_error(clip, tmp_path):
    proc = run_gait("analyze", clip, "--save", "--no-video", "--quiet", data_dir=tmp_path,
                    database_url="postgresql://nobody@127.0.0.1:9/none")
    assert_clean_error(proc, "cannot save to the database")
