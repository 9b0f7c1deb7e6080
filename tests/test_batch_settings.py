"""`gait batch --clip-settings`: reading a coach's CSV of per-clip settings, and every
mistake in it refused in one line naming its row and column, before any clip is
analysed (the batch run itself: tests/test_batch.py)."""

from __future__ import annotations

import pytest

from gait.batch_settings import options_for_clip, read_clip_settings
from gait.result import AnalysisError, AnalysisOptions
from tests.test_batch import run


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "clips").mkdir()
    for name in ("ana.mp4", "ben.mov"):
        (tmp_path / "clips" / name).write_bytes(b"x")
    return tmp_path


def write(folder, text: str):
    path = folder / "settings.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_give_their_values_in_the_options_units(folder):
    path = write(folder, "\ufeffclip, height_m ,treadmill,capture_fps,camera_height,athlete\n"
                         "clips/ana.mp4,1.7,yes,240,LOW,Ana\n"
                         "\n"
                         "clips/ben.mov,,no,,,\n")
    ana, ben = read_clip_settings(path)
    assert ana.clip == (folder / "clips" / "ana.mp4").resolve() and ana.row == 2
    assert ana.options == {"height_m": 1.7, "treadmill": True, "capture_fps": 240.0,
                           "camera_height": "low"} and ana.athlete == "Ana"
    assert ben.row == 4 and ben.options == {"treadmill": False} and ben.athlete is None
    base = AnalysisOptions(speed_mps=3.5, height_m=1.8)
    merged = options_for_clip(base, ana, path)
    assert (merged.speed_mps, merged.height_m, merged.camera_height) == (3.5, 1.7, "low")
    assert options_for_clip(base, ben, path).height_m == 1.8  # an empty cell: the flag's


@pytest.mark.parametrize("text, message", [
    ("clip,speed\nclips/ana.mp4,3\n", "unknown column 'speed'"),
    ("height_m\n1.7\n", "no 'clip' column"),
    ("", "no 'clip' column"),
    ("clip\n\n", "no clips in it"),
    ("clip,height_m\nclips/ana.mp4,tall\n", "row 2, column height_m: 'tall' is not a number"),
    ("clip,treadmill\nclips/ana.mp4,maybe\n", "row 2, column treadmill: 'maybe'"),
    ("clip\nclips/cid.mp4\n", "row 2, column clip: clips/cid.mp4 not found"),
    ("clip\nclips/ana.mp4\n./clips/ana.mp4\n", "row 3, column clip: ./clips/ana.mp4 is "
                                               "already on row 2"),
    ("clip,height_m\nclips/ana.mp4,1.7,4\n", "row 2: more cells than columns"),
    ("clip,height_m\n,1.7\n", "row 2, column clip: empty"),
])
def test_mistakes_name_their_row_and_column(folder, text, message):
    with pytest.raises(AnalysisError, match=message):
        read_clip_settings(write(folder, text))


@pytest.mark.parametrize("text, message", [
    ("clip,speed_m_per_s\nclips/ana.mp4,30\n", "row 2, column speed_m_per_s: Running speed"),
    ("clip,camera_height\nclips/ana.mp4,head\n", "row 2, column camera_height: camera height "
                                                 "must be hip or low"),
    ("clip,height_m\nclips/ana.mp4,nan\n", "row 2, column height_m: Body height"),
])
def test_values_out_of_the_flags_bounds_name_their_row(folder, text, message):
    path = write(folder, text)
    (row,) = read_clip_settings(path)
    with pytest.raises(AnalysisError, match=message):
        options_for_clip(AnalysisOptions(), row, path)


@pytest.mark.parametrize("text, extra, message", [
    ("clip,athlete\nclips/ana.mp4,Ana\n", (), "column athlete: names are only used with --save"),
    ("clip\nclips/ben.mov\n", ("clips/ana.mp4",), "row 2: ben.mov is not among the clips given"),
    ("clip,speed_m_per_s\nclips/ben.mov,30\n", (), "row 2, column speed_m_per_s"),
])
def test_the_command_refuses_a_bad_file_in_one_line_and_writes_nothing(folder, text, extra,
                                                                        message):
    path = write(folder, text)
    out = folder / "out"
    proc = run("batch", *(folder / clip for clip in extra), "--clip-settings", path,
               "--out", out, "--quiet")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert not out.exists()
