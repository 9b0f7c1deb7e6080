"""Where the phone was, as the user says: a low phone's thigh and knee angles are shown
but not compared with the reference nor used for drills, the verdict says why, and
steps and timing do not change. Measured on a recorded real track (the treadmill clip)."""

from __future__ import annotations

import pytest

from gait import cli
from gait.headline import headline
from gait.pipeline import analyze_track
from gait.posetrack import PoseTrack
from gait.reference import LOW_CAMERA_METRICS, LOW_CAMERA_NOT_COMPARED
from gait.result import CAMERA_HEIGHTS, AnalysisOptions, AnalysisSummary, OptionError
from tests.test_real_tracks import DATA
from ui.inputs import CAMERA_CHOICES, build_options

SPEED_MPS = 3.5  # a stated speed: the reference comparison is made


@pytest.fixture(scope="module")
def said_and_unsaid():
    track, fps = PoseTrack.load_npz(DATA / "zz_treadmill_male_side__heavy.npz")
    return {camera: analyze_track(track, capture_fps=fps, options=AnalysisOptions(
        speed_mps=SPEED_MPS, camera_height=camera)) for camera in (None, "hip", "low")}


def compared_metrics(report, side: str) -> set[str]:
    return {row.metric for row in report.summary.reference.rows(side)}


def test_a_low_phone_withholds_the_thigh_and_knee_comparison_and_says_why(said_and_unsaid):
    unsaid, low = said_and_unsaid[None], said_and_unsaid["low"]
    near = unsaid.summary.near_side
    # not said: the thigh and knee angles are compared (so the test below can fail)
    assert set(LOW_CAMERA_METRICS) <= compared_metrics(unsaid, near)
    assert not set(LOW_CAMERA_METRICS) & compared_metrics(low, near)
    assert not set(LOW_CAMERA_METRICS) & compared_metrics(low, unsaid.summary.far_side)
    # what is not drawn through the hip or knee is still compared, and the same
    assert {"contact_time_s", "cadence_spm"} <= compared_metrics(low, near)
    assert low.summary.reference.row(near, "contact_time_s") == unsaid.summary.reference.row(
        near, "contact_time_s")
    figures = {f.metric: f for f in headline(low.summary).angles}
    extension = figures["peak_thigh_extension_deg"]
    assert extension.words == LOW_CAMERA_NOT_COMPARED and extension.reference is None
    assert extension.median == pytest.approx(
        {f.metric: f for f in headline(unsaid.summary).angles}[
            "peak_thigh_extension_deg"].median)


def test_a_low_phone_gives_no_thigh_drill_and_a_use_with_care_reason(said_and_unsaid):
    low = said_and_unsaid["low"]
    assert "camera_low" in {flag.id for flag in low.summary.quality}
    reasons = {r.id: r for r in low.summary.reliability.reasons}
    assert reasons["camera_low"].severity == "use_with_care"
    # what the user said comes after what was found (the first reason is the one shown
    # where only one fits)
    assert [f.id for f in low.summary.quality][-1] == "camera_low"
    assert not [d for d in low.summary.drills if "thigh" in d.finding.lower()]
    assert "camera_low" not in {r.id for r in said_and_unsaid[None].summary.reliability.reasons}


def test_a_low_phones_symmetry_is_not_judged_and_the_tables_say_why(said_and_unsaid):
    from gait.reference import LOW_CAMERA_NOT_JUDGED
    from gait.report import render_html_report
    from ui.text import comparison_table

    unsaid, low = said_and_unsaid[None], said_and_unsaid["low"]
    assert headline(unsaid.summary).symmetry.band  # judged when not said
    symmetry = headline(low.summary).symmetry
    assert symmetry.band == "" and symmetry.words == LOW_CAMERA_NOT_JUDGED
    assert symmetry.difference_deg == headline(unsaid.summary).symmetry.difference_deg
    table = comparison_table(low.summary)
    row = table[table["measure"].str.startswith("Peak thigh extension")].iloc[0]
    assert row["meaning"] == LOW_CAMERA_NOT_COMPARED
    html = render_html_report(low, title="t")
    # the report's table says why once, above it, and each withheld row points there
    from gait.report import PHONE_LOW_ROW
    from tests.test_report import parse

    tree = parse(html)
    assert LOW_CAMERA_NOT_COMPARED in tree.one("p", id="phone-low-note")["text"]
    medians = tree.one("table", id="medians")
    assert medians["text"].count(PHONE_LOW_ROW) == len(LOW_CAMERA_METRICS)
    assert LOW_CAMERA_NOT_COMPARED not in medians["text"]
    assert "phone-low-note" not in render_html_report(unsaid, title="t")


def test_where_the_phone_was_changes_no_step_and_no_angle(said_and_unsaid):
    unsaid = said_and_unsaid[None]
    for camera in ("hip", "low"):
        other = said_and_unsaid[camera]
        assert other.strides[["side", "start_s", "toe_off_s", "end_s"]].equals(
            unsaid.strides[["side", "start_s", "toe_off_s", "end_s"]])
        assert other.summary.cadence_spm == unsaid.summary.cadence_spm
        assert other.strides["peak_thigh_extension_deg"].equals(
            unsaid.strides["peak_thigh_extension_deg"])
    hip = said_and_unsaid["hip"]
    assert hip.summary.reference.comparison == unsaid.summary.reference.comparison
    assert [d.id for d in hip.summary.drills] == [d.id for d in unsaid.summary.drills]


def test_the_answer_is_kept_in_the_summary(said_and_unsaid):
    summary = said_and_unsaid["low"].summary
    data = summary.as_json()
    assert data["options"]["camera_height"] == "low"
    again = AnalysisSummary.from_json(data)
    assert again.options.camera_height == "low"
    assert headline(again).angles[0].words == LOW_CAMERA_NOT_COMPARED


def test_every_surface_offers_the_same_answers():
    assert cli.CAMERA_HEIGHTS == CAMERA_HEIGHTS  # the CLI keeps its own copy (start-up)
    assert set(CAMERA_CHOICES.values()) == {None, *CAMERA_HEIGHTS}
    assert build_options().camera_height is None
    low_label = next(label for label, value in CAMERA_CHOICES.items() if value == "low")
    assert build_options(camera=low_label).camera_height == "low"
    for command in (["analyze", "run.mp4", "--out", "o"], ["batch", "run.mp4", "--out", "o"]):
        args = cli.build_parser().parse_args([*command, "--camera-height", "low"])
        assert cli._options(args).camera_height == "low"
        assert cli._options(cli.build_parser().parse_args(command)).camera_height is None
    with pytest.raises(OptionError, match="camera height"):
        AnalysisOptions(camera_height="floor")


def test_the_report_draws_a_low_phones_thigh_and_knee_without_the_reference(said_and_unsaid):
    from gait.report import render_html_report
    from tests.test_report import parse

    for camera, curves in ((None, 1), ("low", 0)):
        tree = parse(render_html_report(said_and_unsaid[camera], title="t"))
        for part in ("thigh", "knee"):
            chart = tree.one("svg", id=f"chart-cycle-{part}")
            assert len(tree.find("path", inside=chart, class_="ref-curve")) == curves
            assert len(tree.find("path", inside=chart, class_="stride-curve")) > 5
    text = render_html_report(said_and_unsaid["low"], title="t")
    assert LOW_CAMERA_NOT_COMPARED in text and "You said the phone was low" in text


def test_the_app_asks_where_the_phone_was_and_passes_it_on(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from synthetic.render_runner import make_clip
    from tests.test_app_privacy import APP, RUN_TIMEOUT_S, current, no_exception, with_the_video

    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HIPDRIVE_DATABASE_URL", raising=False)
    clip, _ = make_clip(tmp_path, fps=60, seconds=4.0, seed=8)
    at = AppTest.from_file(APP, default_timeout=60).run()
    radio = at.radio(key="camera_height")
    assert list(radio.options) == list(CAMERA_CHOICES) and radio.value == "Not said"
    at.get("file_uploader")[0].upload("my run.mp4", clip.read_bytes(), "video/mp4")
    low_label = next(label for label, value in CAMERA_CHOICES.items() if value == "low")
    radio.set_value(low_label)
    at.checkbox(key="heavy_pose").uncheck()  # the faster model: the answer is what is tested
    at.run()
    at.button(key="analyze").click().run(timeout=RUN_TIMEOUT_S)
    no_exception(at)
    summary = current(with_the_video(at)).report.summary
    assert summary.options.camera_height == "low"
    assert "camera_low" in {r.id for r in summary.reliability.reasons}


def test_history_squad_and_board_get_no_reference_for_a_low_phone(said_and_unsaid):
    from gait.store.serialize import summary_figures

    unsaid = summary_figures(said_and_unsaid[None].summary)
    low = summary_figures(said_and_unsaid["low"].summary)
    assert unsaid["reference_peak_thigh_extension_deg"] is not None
    assert low["reference_peak_thigh_extension_deg"] is None
    assert low["peak_thigh_extension_left_deg"] == unsaid["peak_thigh_extension_left_deg"]
    assert "camera_low" in low["flags_json"]


def test_every_quality_flag_has_words_in_the_history_and_squad_tables():
    import re
    from pathlib import Path

    import gait.quality
    from ui.tables import FLAG_WORDS

    source = Path(gait.quality.__file__).read_text()
    ids = set(re.findall(r'QualityFlag\(\s*"([a-z_]+)"', source)) - {"info", "warning"}
    ids |= {getattr(gait.quality, name)  # ids given by a constant, e.g. CAMERA_LOW_FLAG
            for name in re.findall(r"QualityFlag\(\s*([A-Z][A-Z_]+)\s*,", source)}
    assert "camera_low" in ids and len(ids) >= 15
    assert ids <= set(FLAG_WORDS), ids - set(FLAG_WORDS)


def test_a_low_phones_run_is_named_on_the_workshop_board_and_never_leads_it(
        said_and_unsaid, tmp_path):
    """Saved into a workshop, a low phone's result carries its flag to the board; there
    it is named "(phone low)" on the hip-drive chart and counts for neither the leader
    nor the room's median, while its cadence counts as any other."""
    from gait.store import Store
    from gait.store.workshops import board, create_workshop
    from ui.board_figures import PHONE_LOW_LABEL, cadence_board, hip_drive_board, room_spread

    store = Store(f"sqlite:///{tmp_path / 'board.sqlite3'}", files_dir=tmp_path / "files")
    try:
        workshop = create_workshop(store, "club")
        store.save(said_and_unsaid[None], athlete_name="Ada", workshop_id=workshop.id)
        store.save(said_and_unsaid["low"], athlete_name="Lowy", workshop_id=workshop.id)
        table = board(store, workshop.id)
    finally:
        store.close()
    assert "camera_low" in table["flags"].iloc[1] and "camera_low" not in table["flags"].iloc[0]
    # the same thigh figures either way: only the answer differs
    assert table["peak_thigh_extension_near_deg"].nunique() == 1
    spread = room_spread(table)
    assert spread["n"] == 1 and spread["leader"] == "Ada"
    runners = next(t for t in hip_drive_board(table).data if t.name == "runner")
    assert list(runners.y) == ["Lowy" + PHONE_LOW_LABEL, "Ada"]
    assert list(runners.marker.symbol) == ["circle-open", "circle"]
    cadence = next(t for t in cadence_board(table).data if t.name == "runner")
    assert set(cadence.y) == {"Ada", "Lowy"}
    assert room_spread(table.iloc[[1]]) is None  # a room of low phones has no hip-drive leader


def test_a_low_phones_run_is_off_the_history_lines(said_and_unsaid):
    """A runner who once filmed from the floor: that run's thigh reads short, so it must
    not look like a drop in hip drive on the history's lines, nor count for symmetry."""
    import json

    import pandas as pd

    from gait.store.serialize import summary_figures
    from ui.history_figures import PHONE_LOW_NAME, symmetry_trend, thigh_extension_trend

    rows = []
    for day, camera in ((28, None), (29, "low"), (30, "hip")):
        figures = summary_figures(said_and_unsaid[camera].summary)
        figures["flags"] = json.loads(figures.pop("flags_json"))
        rows.append({**figures, "recorded_on": pd.Timestamp(f"2026-11-{day}").date(),
                     "created_at": pd.Timestamp(f"2026-12-01 1{day - 28}:00")})
    history = pd.DataFrame(rows)
    trend = thigh_extension_trend(history)
    near = said_and_unsaid[None].summary.near_side
    line = next(t for t in trend.data if t.name == f"{near} leg")
    assert [x.day for x in line.x] == [28, 30]
    crosses = next(t for t in trend.data if t.name == PHONE_LOW_NAME)
    assert [x.day for x in crosses.x] == [29]
    assert crosses.y[0] == pytest.approx(history[f"peak_thigh_extension_{near}_deg"][1])
    reference = next(t for t in trend.data if t.name == "reference (speed-matched)")
    assert pd.isna(reference.y[1]) and not pd.isna(reference.y[0])
    symmetry = next(t for t in symmetry_trend(history).data if t.name == "left − right")
    assert [x.day for x in symmetry.x] == [28, 30]
    hip_height_only = thigh_extension_trend(history.iloc[[0, 2]].reset_index(drop=True))
    assert PHONE_LOW_NAME not in {t.name for t in hip_height_only.data}
