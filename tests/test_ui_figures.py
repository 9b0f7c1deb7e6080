"""The app's pure helpers: Plotly figure builders, texts and tables, input parsing,
the cache key and store — on real engine output for a synthetic runner."""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gait.pipeline import analyze_track
from gait.reference import EXTENSION_POSE_BIAS_DEG, NOISE_DEG, reference_at
from gait.result import AnalysisOptions, OptionError
from gait.strides import normalise_stride
from synthetic.runner_model import synthesize_run, to_pose_track
from ui import figures, state
from ui.inputs import InputError, build_options, parse_speed
from ui.service import Analysis, AnalysisJobs, analysis_key, safe_suffix
from ui.text import (
    accuracy_markdown,
    comparison_table,
    difference_rows,
    document_markdown,
    headline_cards,
    picked_stride_line,
    progress_text,
    readme_section,
    slug,
    stride_table,
)


@pytest.fixture(scope="module")
def report():
    run = synthesize_run(fps=60, duration_s=8, direction=-1, seed=5,
                         thigh_extension_offset_deg=-8.0)
    return analyze_track(to_pose_track(run, noise_px=1.0, seed=5),
                         options=AnalysisOptions(speed_mps=3.5, treadmill=True),
                         capture_fps=60.0)


def _trace(fig, name_start: str):
    found = [t for t in fig.data if (t.name or "").startswith(name_start)]
    assert found, [t.name for t in fig.data]
    return found[0]


# --- figures ----------------------------------------------------------------------------------

def test_stride_chart_has_both_legs_reference_band_and_stride_ids(report):
    near = report.summary.near_side
    ref = reference_at(3.5).values["peak_thigh_extension_deg"]
    fig = figures.stride_chart(report.strides, near_side=near, metric="peak_thigh_extension_deg",
                               title="t", y_title="y", reference_deg=ref)
    near_trace = _trace(fig, f"{near} (near) leg")
    rows = report.strides[report.strides["side"] == near].sort_values("start_s")
    assert list(near_trace.y) == pytest.approx(rows["peak_thigh_extension_deg"].tolist())
    assert [list(c) for c in near_trace.customdata] == [[near, s] for s in rows["stride"]]
    # less extension than the reference is noise down to NOISE + the pose model's bias
    # (the results card says the same), more extension only up to NOISE
    band = _trace(fig, "reference −13° / +5°")
    assert min(band.y) == pytest.approx(ref - NOISE_DEG - EXTENSION_POSE_BIAS_DEG)
    assert max(band.y) == pytest.approx(ref + NOISE_DEG)
    assert list(_trace(fig, "speed-matched reference").y) == pytest.approx([ref, ref])
    assert len(_trace(fig, f"{report.summary.far_side} (far) leg").x) == len(
        report.strides) - len(rows)
    # the chart shows where the band ends: room above and below it and every stride
    low, high = fig.layout.yaxis.range
    values = report.strides["peak_thigh_extension_deg"]
    assert low < min(min(band.y), values.min()) - 2 and high > max(max(band.y), values.max()) + 2


def test_a_metric_the_pose_bias_does_not_shorten_gets_an_even_band(report):
    fig = figures.stride_chart(report.strides, near_side="left", metric="peak_thigh_flexion_deg",
                               title="t", y_title="y", reference_deg=30.0)
    band = _trace(fig, "reference ±")
    assert (min(band.y), max(band.y)) == pytest.approx((30.0 - NOISE_DEG, 30.0 + NOISE_DEG))


def test_board_history_and_live_bands_are_as_lopsided_as_the_cards(report):
    from ui.board_figures import hip_drive_board
    from ui.history_figures import symmetry_trend, thigh_extension_trend
    from ui.live_figures import thigh_trace

    wide = NOISE_DEG + EXTENSION_POSE_BIAS_DEG
    board = hip_drive_board(pd.DataFrame({
        "nickname": ["a"], "verdict": ["reliable"], "flags": [[]],
        "peak_thigh_extension_near_deg": [15.0],
        "reference_peak_thigh_extension_deg": [26.0], "cadence_spm": [170.0],
        "reference_cadence_spm": [171.0]}))
    ref_tick = _trace(board, "reference at their speed")
    assert (ref_tick.error_x.valueminus, ref_tick.error_x.value) == (wide, NOISE_DEG)
    one_run = pd.DataFrame({
        "recorded_on": [pd.Timestamp("2026-11-30").date()],
        "created_at": [pd.Timestamp("2026-12-01 17:42:09")], "near_side": ["left"],
        "reference_peak_thigh_extension_deg": [26.0], "peak_thigh_extension_left_deg": [20.0],
        "peak_thigh_extension_right_deg": [18.0], "thigh_extension_left_minus_right_deg": [2.0],
        "flags": [[]]})
    trend = thigh_extension_trend(one_run)
    band = _trace(trend, "reference −")
    assert (min(band.y), max(band.y)) == pytest.approx((26.0 - wide, 26.0 + NOISE_DEG))
    # one run still shows its band (it has width) and the axis shows days, not seconds
    assert max(band.x) - min(band.x) >= pd.Timedelta(hours=24)
    assert trend.layout.xaxis.tickformat == "%d %b %Y"
    symmetry = symmetry_trend(one_run)
    assert max(symmetry.data[0].x) - min(symmetry.data[0].x) >= pd.Timedelta(hours=24)
    live = thigh_trace(pd.DataFrame({"time_s": [0.0], "thigh_deg": [0.0]}), near_side="left",
                       reference_values={"peak_thigh_extension_deg": 26.0,
                                         "peak_thigh_flexion_deg": 34.0})
    rects = sorted((s.y0, s.y1) for s in live.layout.shapes if s.type == "rect")
    # the thigh trace is signed (extension < 0): less extension lies above -26
    assert rects[0] == pytest.approx((-26.0 - NOISE_DEG, -26.0 + wide))
    assert rects[1] == pytest.approx((34.0 - NOISE_DEG, 34.0 + NOISE_DEG))
    unknown_side = thigh_trace(pd.DataFrame({"time_s": [], "thigh_deg": []}), near_side=None,
                               reference_values=None)
    assert unknown_side.layout.title.text.startswith("Near thigh angle")  # not "near (near)"


def test_stride_chart_without_reference_draws_no_band_and_says_why(report):
    fig = figures.stride_chart(report.strides, near_side="left", metric="peak_hip_extension_deg",
                               title="t", y_title="y", reference_deg=None, note="No reference")
    assert not [t for t in fig.data if "reference" in (t.name or "")]
    assert fig.layout.annotations[0].text == "No reference"


def test_stride_chart_marks_the_picked_stride(report):
    row = report.strides.iloc[2]
    fig = figures.stride_chart(report.strides, near_side="left", metric="peak_thigh_extension_deg",
                               title="t", y_title="y", reference_deg=None,
                               selected=(row.side, int(row.stride)))
    picked = _trace(fig, "picked stride")
    assert list(picked.x) == [pytest.approx(row.start_s)]


def test_cycle_chart_shows_every_stride_the_mean_and_the_reference(report):
    near = report.summary.near_side
    ref = reference_at(3.5)
    fig = figures.cycle_chart(report.frames, report.strides, side=near, near_side=near,
                              part="thigh", reference_curve=ref.thigh_curve_deg,
                              reference_toe_off_pct=ref.values["toe_off_pct"])
    rows = report.strides[report.strides["side"] == near]
    strides = [t for t in fig.data if t.legendgroup == "strides"]
    assert len(strides) == len(rows)
    t = report.frames["time_s"].to_numpy()
    first = normalise_stride(t, report.frames[f"{near}_thigh_deg"].to_numpy(),
                             start_s=rows.iloc[0].start_s, end_s=rows.iloc[0].end_s)
    np.testing.assert_allclose(np.asarray(strides[0].y, float), first)
    mean = _trace(fig, "mean of")
    stack = np.vstack([np.asarray(s.y, float) for s in strides])
    np.testing.assert_allclose(np.asarray(mean.y, float), np.nanmean(stack, axis=0), atol=1e-9)
    reference = _trace(fig, "reference")
    assert reference.fill == "toself"  # the band first, behind the curves
    closed = _trace(fig, "reference").y
    assert len(closed) == 2 * 101
    toe_lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(toe_lines) == 3  # foot strike, mean toe-off, reference toe-off


def test_cycle_chart_of_a_leg_without_strides_says_so(report):
    near = report.summary.near_side
    none = report.strides.iloc[0:0]
    fig = figures.cycle_chart(report.frames, none, side=near, near_side=near, part="thigh")
    assert not [t for t in fig.data if t.legendgroup == "strides"]
    assert figures.NO_STRIDE_OF_THIS_LEG in [a.text for a in fig.layout.annotations]
    fig = figures.cycle_chart(report.frames, report.strides, side=near, near_side=near,
                              part="thigh")
    assert figures.NO_STRIDE_OF_THIS_LEG not in [a.text for a in fig.layout.annotations]


def test_mean_curve_hides_samples_most_strides_lack():
    stack = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, 4.0, 7.0],
                      [7.0, np.nan, np.nan]])
    mean, sd = figures.mean_curve(np.pad(stack, ((0, 0), (0, 98)), constant_values=np.nan))
    assert mean[0] == pytest.approx(4.0) and mean[1] == pytest.approx(3.0)  # 2 of 4: kept
    assert math.isnan(mean[2])  # 1 of 4 strides: too few
    assert sd[0] == pytest.approx(np.std([1, 3, 5, 7]))


def test_compare_charts_overlay_both_runs(report):
    near = report.summary.near_side
    rows = report.strides[report.strides["side"] == near]
    fig = figures.compare_stride_chart([("A", rows), ("B", rows.iloc[:3])],
                                       metric="peak_thigh_extension_deg", title="t", y_title="y",
                                       reference_deg=25.0)
    assert len(_trace(fig, "A").y) == len(rows) and list(_trace(fig, "B").x) == [1, 2, 3]
    cyc = figures.compare_cycle_chart(
        [("A", report.frames, report.strides, near), ("B", report.frames, report.strides, near)],
        part="knee", reference_curve=reference_at(3.5).knee_curve_deg)
    assert np.allclose(np.asarray(_trace(cyc, "A (mean)").y, float),
                       np.asarray(_trace(cyc, "B (mean)").y, float), equal_nan=True)


# --- texts and tables -------------------------------------------------------------------------

def test_headline_cards_show_summary_values_with_uncertainty(report):
    s = report.summary
    cards = {c.key: c for c in headline_cards(s)}
    ext = s.per_side[s.near_side].metrics["peak_thigh_extension_deg"]
    assert cards["thigh_extension"].value == f"{ext.median:.1f}° ± {ext.ci95:.1f}°"
    row = next(r for r in s.reference.comparison[s.near_side]
               if r.metric == "peak_thigh_extension_deg")
    assert cards["thigh_extension"].words == row.interpretation
    # the card's colour is the engine's band; this runner has ~8° less extension than
    # the reference, which is within noise + the pose model's measured under-reading
    assert row.difference < -5 and row.band == "noise"
    assert cards["thigh_extension"].colour == "green"
    assert "No reference" in cards["hip_rom"].words
    assert cards["cadence"].value.startswith(f"{s.cadence_spm:.0f} ± ")


def test_tables_cover_every_stride_and_measure(report):
    table = stride_table(report.strides)
    assert len(table) == len(report.strides)
    assert list(table["Starts at s"]) == sorted(table["Starts at s"])
    medians = comparison_table(report.summary)
    assert medians["measure"].iloc[0].startswith("Cadence")
    diff = difference_rows(report.summary, report.summary, side_a="left", side_b="left")
    assert set(diff["B − A"]) <= {"+0.0", "+0", "+0.000", "–"}


def test_stride_table_keeps_missing_values_as_numbers(report):
    """A stride without a toe-off (contact time missing) and a None read back as text:
    both become NaN in a float column (the page shows NaN as a dash), so the column
    still sorts as numbers and never shows the text "None"."""
    strides = report.strides.copy()
    strides["contact_time_s"] = strides["contact_time_s"].astype(object)
    first = strides["start_s"].idxmin()
    strides.loc[first, "contact_time_s"] = None
    strides.loc[first, "knee_at_strike_deg"] = np.nan
    table = stride_table(strides)
    assert pd.api.types.is_float_dtype(table["Contact s"])
    assert math.isnan(table["Contact s"].iloc[0]) and math.isnan(table["Knee at strike °"].iloc[0])
    assert table["Contact s"].iloc[1:].notna().all()
    assert "None" not in table.astype(str).to_numpy()
    ordered = table.sort_values("Contact s")["Contact s"].dropna().to_list()
    assert ordered == sorted(table["Contact s"].dropna())


def test_stride_table_formats_keep_the_digits_it_rounds_to(report):
    """Every number column of the stride table gets a format with its rounding's digits,
    so 22.0 is not shown as a bare 22 beside 21.7."""
    from ui.text import stride_table_formats

    table = stride_table(report.strides)
    formats = stride_table_formats(report.strides)
    numbers = [c for c in table.columns if c not in ("Leg", "Stride")]
    assert set(formats) == set(numbers)
    assert formats["Thigh ext °"] == "%.1f" and formats["Starts at s"] == "%.2f"
    assert formats["Contact s"] == "%.3f"


def test_picked_stride_line_says_where_the_pick_went():
    assert (picked_stride_line("left", 4, 3.421, has_video=True)
            == "Video above: now at left leg stride 4 (left foot strike at 3.42 s).")
    assert (picked_stride_line("right", 2, 1.5, has_video=False)
            == "Chart above: right leg stride 2 marked (right foot strike at 1.50 s).")


def test_progress_text_names_stage_and_time_left():
    value, text = progress_text("pose", 0.5, 12.4)
    assert value == pytest.approx(0.45)
    # the text's percentage is the bar's own, never the stage's
    assert text == "Finding the runner in each frame · 45 % done · this step about 12 s more"
    assert progress_text("render", 1.0, 0.0)[0] == pytest.approx(1.0)


def test_readme_section_between_markers():
    text = "a\n<!-- ACCURACY -->\n| x |\n<!-- /ACCURACY -->\nb"
    assert readme_section(text) == "| x |"
    assert readme_section("a\n<!-- ACCURACY -->\ntable\n<!-- BENCHMARK -->\nz") == "table"
    assert readme_section("nothing here") == ""


def test_accuracy_markdown_drops_the_sections_own_heading(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- ACCURACY -->\n## Measured accuracy\n\n| a |\n<!-- /ACCURACY -->")
    assert accuracy_markdown(readme) == "| a |"
    assert accuracy_markdown(tmp_path / "missing.md") == ""


def test_documents_lose_their_title_and_links_to_repository_files(tmp_path):
    record = tmp_path / "accuracy.md"
    record.write_text("# Title\n\nSee **[docs/speed.md](docs/speed.md)** and "
                      "[the paper](https://doi.org/10.7717/peerj.3298).")
    assert document_markdown(record) == (
        "See **docs/speed.md** and [the paper](https://doi.org/10.7717/peerj.3298).")
    assert document_markdown(tmp_path / "missing.md") == ""


def test_slug_never_yields_a_path():
    assert slug("../../etc/passwd") == "passwd"
    assert slug("Anna Müller") == "Anna_M_ller"
    assert slug(None) == "run"


# --- inputs -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "unit", "mps"), [
    ("12", "km/h", 12 / 3.6), ("5:00", "min/km", 1000 / 300), ("3,5", "m/s", 3.5),
    ("8", "mph", 8 * 1609.344 / 3600), ("8:03", "min/mile", 1609.344 / 483), ("", "km/h", None),
    # minutes:seconds is a pace whatever the unit box says (the placeholder shows "5:00")
    ("5:00", "km/h", 1000 / 300), ("5:00", "m/s", 1000 / 300), ("8:03", "mph", 1609.344 / 483),
])
def test_speed_and_pace_are_parsed(text, unit, mps):
    assert parse_speed(text, unit) == (None if mps is None else pytest.approx(mps))


@pytest.mark.parametrize(("text", "unit"), [("fast", "km/h"), ("5:75", "min/km"),
                                            ("100", "km/h"), ("-3", "m/s")])
def test_bad_speed_says_what_to_type(text, unit):
    with pytest.raises(InputError):
        parse_speed(text, unit)


def test_build_options_converts_units():
    options = build_options(speed_text="10.8", speed_unit="km/h", surface="Treadmill",
                            height_cm=178, capture_fps=240)
    assert options == AnalysisOptions(speed_mps=options.speed_mps, treadmill=True,
                                       height_m=1.78, capture_fps=240.0)
    assert options.speed_mps == pytest.approx(3.0)
    with pytest.raises(InputError):
        build_options(height_cm=1.78)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(InputError):
            build_options(height_cm=bad)
        with pytest.raises(InputError):
            build_options(capture_fps=bad)


@pytest.mark.parametrize(("field", "value"), [
    ("speed_mps", 0.001), ("speed_mps", float("nan")), ("speed_mps", -3.0), ("speed_mps", 40.0),
    ("height_m", 0.0), ("height_m", 178.0), ("capture_fps", 0.0), ("capture_fps", float("inf")),
    ("cutoff_hz", 0.0), ("speed_mps", "fast"),
])
def test_analysis_options_validate_themselves(field, value):
    """One set of bounds for app and CLI: AnalysisOptions refuses what neither accepts."""
    with pytest.raises(OptionError) as info:
        AnalysisOptions(**{field: value})
    assert info.value.field == field and "give a number from" in str(info.value)


# --- cache key and store ----------------------------------------------------------------------

def test_cache_key_depends_on_content_and_options_only():
    options = AnalysisOptions(speed_mps=3.5)
    assert analysis_key(b"clip", options) == analysis_key(b"clip", AnalysisOptions(speed_mps=3.5))
    assert analysis_key(b"clip", options) != analysis_key(b"clip2", options)
    assert analysis_key(b"clip", options) != analysis_key(b"clip", AnalysisOptions())
    assert safe_suffix("../../x.MOV") == ".mov" and safe_suffix("evil.sh") == ".mp4"


def test_store_is_lru_and_forgets_entries_whose_video_is_gone(report, tmp_path):
    store = AnalysisJobs(max_entries=2)
    video = tmp_path / "a.mp4"
    video.write_bytes(b"v")
    store.put(Analysis("a", report, video))
    store.put(Analysis("b", report, None))
    assert store.get("a") is not None  # a is now the most recent
    store.put(Analysis("c", report, None))
    assert store.get("b") is None and store.get("a") is not None
    video.unlink()
    assert store.get("a") is None
    assert store.runs == 3


def test_concurrent_requests_for_one_clip_share_one_run(report):
    store = AnalysisJobs(max_parallel=2)
    release, calls = threading.Event(), []

    def work(progress):
        calls.append(1)
        progress("pose", 0.5, 3.0)
        release.wait(10)
        return Analysis("k", report, None)

    first, second = store.submit("k", work), store.submit("k", work)
    assert first is second
    release.set()
    assert first.future.result(10).report is report
    assert calls == [1] and store.runs == 1 and store.get("k") is not None
    assert first.state == ("pose", 0.5, 3.0)


def test_failed_run_is_not_cached(report):
    store = AnalysisJobs(max_parallel=1)

    def work(progress):
        raise ValueError("bad clip")

    job = store.submit("k", work)
    with pytest.raises(ValueError, match="bad clip"):
        job.future.result(10)
    assert store.get("k") is None and store.runs == 0
    assert store.submit("k", lambda progress: Analysis("k", report, None)).future.result(10)


def test_session_result_has_its_own_summary_copy(report):
    result = state.make_result(report, video_path=None, file_name="mine.mov", athlete=" Ann ")
    assert result.report.summary.clip_name == "mine.mov"
    assert report.summary.clip_name != "mine.mov"  # the shared report is untouched
    assert result.athlete == "Ann" and result.label.startswith("Ann · ")
    assert result.report.strides is report.strides


def test_a_not_reliable_result_never_leads_the_workshop_board():
    """The projected board: a result the engine called "not reliable" is named so on the
    charts and counts for neither the leader nor the room median."""
    from ui.board_figures import NOT_RELIABLE_LABEL, hip_drive_board, room_spread

    table = pd.DataFrame({
        "nickname": ["Ada", "Tiny", "Ben"], "peak_thigh_extension_near_deg": [20.0, 34.6, 18.0],
        "reference_peak_thigh_extension_deg": [25.0, 25.0, 25.0],
        "verdict": ["reliable", "not_reliable", "use_with_care"],
        "flags": [[], ["not_reliable"], ["use_with_care"]]})
    spread = room_spread(table)
    assert spread["leader"] == "Ada" and spread["leader_deg"] == 20.0
    assert spread["median_deg"] == 19.0 and spread["max_deg"] == 20.0
    names = [y for trace in hip_drive_board(table).data for y in (trace.y or [])]
    assert "Tiny" + NOT_RELIABLE_LABEL in names and "Ada" in names
    # drawn at the bottom, grey and hollow: the highest value must not look like the leader
    runners = next(t for t in hip_drive_board(table).data if t.name == "runner")
    assert list(runners.y) == ["Tiny" + NOT_RELIABLE_LABEL, "Ben", "Ada"]
    assert list(runners.marker.symbol) == ["circle-open", "circle", "circle"]
    assert room_spread(table[table["verdict"] == "not_reliable"]) is None
    # the leader goes furthest beyond the reference at their own speed, not furthest back
    paced = table.assign(reference_peak_thigh_extension_deg=[25.0, 25.0, 15.0])
    assert room_spread(paced)["leader"] == "Ben"
    assert room_spread(paced)["leader_vs_reference_deg"] == 3.0


def test_history_points_sit_on_their_day_filmed_tick():
    from ui.history_figures import _dated, trend_x

    runs = pd.DataFrame({
        "recorded_on": [pd.Timestamp(d).date() for d in
                        ("2026-11-28", "2026-11-30", "2026-11-30", "2026-11-30")],
        "created_at": [pd.Timestamp(t) for t in ("2026-12-01 23:50", "2026-12-01 09:00",
                                                 "2026-12-01 07:00", "2026-12-01 18:00")]})
    x = trend_x(runs)
    # a run saved late at night still sits on its day's noon tick, not near the next day
    assert x[0] == pd.Timestamp("2026-11-28 12:00")
    # runs filmed on one day: an hour apart around noon, in the order they were saved
    assert list(x[1:]) == [pd.Timestamp("2026-11-30 12:00"), pd.Timestamp("2026-11-30 11:00"),
                           pd.Timestamp("2026-11-30 13:00")]
    axis = _dated(go.Figure(go.Scatter(x=x, y=[1, 2, 3, 4])), x).layout.xaxis
    assert axis.tick0 == "2000-01-01 12:00" and axis.dtick == 86_400_000


def test_the_board_cadence_axis_does_not_magnify_a_few_steps_per_minute():
    """Projected, 167 and 169 steps/min against a reference of 161 filled the width
    (axis 161–169): the cadence axis spans at least CADENCE_MIN_SPAN_SPM; a room that
    spreads wider keeps Plotly's own range."""
    from ui.board_figures import cadence_board
    from ui.figures import CADENCE_MIN_SPAN_SPM
    from ui.history_figures import cadence_trend

    table = pd.DataFrame({"nickname": ["Bo", "Cy"], "cadence_spm": [167.0, 169.0],
                          "reference_cadence_spm": [161.0, 161.0],
                          "verdict": ["reliable", "reliable"], "flags": [[], []]})
    low, high = cadence_board(table).layout.xaxis.range
    assert high - low == pytest.approx(CADENCE_MIN_SPAN_SPM) and low < 161.0 and high > 169.0
    wide = table.assign(cadence_spm=[150.0, 200.0])
    assert cadence_board(wide).layout.xaxis.range is None
    # the History's cadence trend: one run of 172 steps/min gets the same least span
    one_run = pd.DataFrame({"recorded_on": [pd.Timestamp("2026-11-30").date()],
                            "created_at": [pd.Timestamp("2026-11-30 10:00")],
                            "cadence_spm": [172.0]})
    low, high = cadence_trend(one_run).layout.yaxis.range
    assert (low, high) == (pytest.approx(152.0), pytest.approx(192.0))


def test_the_squad_table_puts_each_athletes_near_leg_first_and_the_flags_last():
    """The near leg decides which extension counts (the far leg reads 3–5° low): its
    figure comes first, beside the reference; the long flags come last."""
    from ui.tables import squad_table

    squad = pd.DataFrame({
        "athlete_name": ["Ana", "Ben"], "recorded_on": ["2026-12-01", "2026-12-02"],
        "token": ["a", "b"], "athlete_token": ["ha", "hb"], "n_analyses": [1, 2],
        "flags": [["use_with_care", "low_frame_rate"], []], "near_side": ["left", "right"],
        "cadence_spm": [168.0, 172.0], "peak_thigh_extension_left_deg": [18.7, 12.0],
        "peak_thigh_extension_right_deg": [14.1, 16.5],
        "thigh_extension_left_minus_right_deg": [4.6, -4.5],
        "reference_peak_thigh_extension_deg": [21.7, 20.0], "speed_mps": [2.8, 3.0],
        "n_strides": [12, 14]})
    table = squad_table(squad, analysis_link=str, history_link=str)
    columns = list(table.columns)
    assert columns.index("near leg ext. (°)") == columns.index("near leg") + 1
    assert columns.index("reference (°)") == columns.index("near leg ext. (°)") + 1
    assert columns[-1] == "flags"
    assert list(table["near leg ext. (°)"]) == [18.7, 16.5]


def test_the_history_symmetry_band_is_what_each_runs_card_calls_noise(report):
    """The cards judge left − right after allowing for the far leg reading 3–5° low, so a
    near-left run's +8° is noise there: the History band is that range per run (−2° to
    +10° near left, mirrored near right), not ± 5° around zero."""
    from gait.reference import (
        difference_band,
        far_leg_allowed_deg,
        left_minus_right_noise_range_deg,
    )
    from ui.history_figures import symmetry_trend

    for side in ("left", "right"):
        low, high = left_minus_right_noise_range_deg(side)
        for inside in (low + 0.1, 0.0, high - 0.1):
            assert difference_band("", far_leg_allowed_deg(inside, near_side=side)) == "noise"
        for outside in (low - 0.1, high + 0.1):
            assert difference_band("", far_leg_allowed_deg(outside, near_side=side)) != "noise"
    runs = pd.DataFrame({
        "recorded_on": [pd.Timestamp(d).date() for d in ("2026-11-28", "2026-11-30")],
        "created_at": [pd.Timestamp("2026-11-28 10:00"), pd.Timestamp("2026-11-30 10:00")],
        "near_side": ["left", "right"], "thigh_extension_left_minus_right_deg": [8.0, -8.0],
        "flags": [[], []]})
    band = symmetry_trend(runs).data[0]
    ys = np.asarray(band.y, dtype=float)
    assert min(ys) == pytest.approx(-10.0) and max(ys) == pytest.approx(10.0)
    assert sorted(set(np.round(ys, 6))) == [-10.0, -2.0, 2.0, 10.0]
