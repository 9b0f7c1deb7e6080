"""AppTest tests of every page of the Streamlit app, with real analysis results.

The sample run goes through real MediaPipe once per test session (module-scoped
`sample_app`, ~30 s); later "Try the sample run" clicks are cache hits. Other
results are real engine output (`gait.pipeline.analyze_track`) on synthetic pose
tracks with known motion — no stubs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import av
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Error, Metric, Success, Warning

from gait.metric_catalogue import CATALOGUE
from gait.pipeline import analyze_track
from gait.reference import ATTRIBUTION
from gait.reliability import VERDICT_LABELS
from gait.result import AnalysisError, AnalysisOptions
from gait.video import VideoError, probe_video
from synthetic.runner_model import synthesize_run, to_pose_track
from ui import service, state
from ui.service import analysis_jobs
from ui.text import ACCURACY_IN_SHORT, readme_section

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SAMPLE_TIMEOUT_S = 600


@pytest.fixture(scope="module", autouse=True)
def data_dir(tmp_path_factory):
    """Keep the sample clip and annotated videos out of the repository."""
    path = tmp_path_factory.mktemp("hipdrive-data")
    patch = pytest.MonkeyPatch()
    patch.setenv("HIPDRIVE_DATA_DIR", str(path))
    yield path
    patch.undo()


def _synthetic_result(offset_deg: float, *, name: str, direction: int = -1):
    run = synthesize_run(fps=60, duration_s=10, direction=direction, seed=3,
                         thigh_extension_offset_deg=offset_deg)
    report = analyze_track(to_pose_track(run, noise_px=1.5, seed=3),
                           options=AnalysisOptions(speed_mps=3.5, treadmill=True),
                           capture_fps=60.0)
    return state.make_result(report, video_path=None, file_name=f"{name}.mp4", athlete=name)


@pytest.fixture(scope="module")
def before():
    return _synthetic_result(-8.0, name="Before")


@pytest.fixture(scope="module")
def after():
    return _synthetic_result(0.0, name="After")


@pytest.fixture(scope="module")
def slowed():
    """A slow-motion clip analysed without its capture rate: verdict not_reliable."""
    run = synthesize_run(fps=60, duration_s=10, direction=-1, seed=3,
                         thigh_extension_offset_deg=-8.0)
    track = to_pose_track(run, noise_px=1.5, seed=3)
    report = analyze_track(track.with_arrays(time_s=track.time_s * 4),
                           options=AnalysisOptions(speed_mps=3.5, treadmill=True),
                           capture_fps=15.0)
    assert report.summary.reliability.verdict == "not_reliable"
    assert report.summary.drills
    return state.make_result(report, video_path=None, file_name="slowmo.mp4", athlete="Slow")


def _in_order(node):
    """Every element under `node`, depth first, in page order."""
    for _, child in sorted(getattr(node, "children", {}).items()):
        yield child
        yield from _in_order(child)


def _first_alert_and_metric(at: AppTest) -> tuple[int, int, object]:
    elements = list(_in_order(at.main))
    alerts = [i for i, e in enumerate(elements) if isinstance(e, Success | Warning | Error)]
    metrics = [i for i, e in enumerate(elements) if isinstance(e, Metric)]
    return alerts[0], metrics[0], elements[alerts[0]]


def _app(*results, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if results:
        at.session_state[state.RESULTS_KEY] = list(results)
    if page:
        at.switch_page(page)
    return at.run()


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _click_sample(at: AppTest) -> AppTest:
    """Press "Try the sample run"; the app switches to Results. AppTest keeps stale
    elements of the page a script left through st.switch_page (they break later runs),
    so the test goes on in a fresh AppTest holding this session's results."""
    at.button(key="sample").click()
    at.run(timeout=SAMPLE_TIMEOUT_S)
    _no_exception(at)
    _wait_for_the_video(at)
    fresh = AppTest.from_file(APP, default_timeout=60)
    for key in (state.RESULTS_KEY, state.CURRENT_KEY, state.PENDING_KEY, service.TOKEN_KEY):
        if key in at.session_state:
            fresh.session_state[key] = at.session_state[key]
    return fresh.switch_page("app_pages/results.py").run()


def _wait_for_the_video(at: AppTest) -> None:
    """The numbers come first; the annotated video follows from the same job, and the
    page collects it on its next run once the job has ended."""
    kept = at.session_state  # AppTest's session state has no .get()
    record = kept[state.PENDING_KEY] if state.PENDING_KEY in kept else None  # noqa: SIM401
    if record is not None:
        record.job.future.result(timeout=SAMPLE_TIMEOUT_S)


@pytest.fixture(scope="module")
def sample_app():
    """One real sample analysis (MediaPipe + annotated video); the app lands on Results."""
    at = _click_sample(_app())
    _no_exception(at)
    return at


def _current(at: AppTest) -> state.SessionResult:
    kept = at.session_state[state.RESULTS_KEY]
    return next(r for r in kept if r.id == at.session_state[state.CURRENT_KEY])


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


# --- Analyze ----------------------------------------------------------------------------------

def test_analyze_page_offers_upload_sample_and_filming_guide():
    at = _app()
    _no_exception(at)
    assert at.title[0].value == "HipDrive"
    assert "hip drive" in _markdown(at)
    assert "60 fps or more" in _markdown(at) and "7 strides per leg" in _markdown(at)
    assert len(at.get("file_uploader")) == 1
    assert at.button(key="analyze").disabled  # nothing uploaded yet
    assert not at.button(key="sample").disabled
    assert at.text_input(key="speed").value == ""


def test_upload_of_a_non_video_shows_the_engine_message(tmp_path):
    bogus = tmp_path / "run.mp4"
    bogus.write_bytes(b"this is not a video at all" * 10)
    with pytest.raises(VideoError) as expected:
        probe_video(bogus)
    at = _app()
    at.get("file_uploader")[0].upload("my run.mp4", bogus.read_bytes(), "video/mp4")
    at.run()
    at.button(key="analyze").click()
    at.run()
    _no_exception(at)
    assert [e.value for e in at.error] == [str(expected.value)]
    assert "side-on" in at.info[0].value  # what to do
    assert state.RESULTS_KEY not in at.session_state
    assert at.title[0].value == "HipDrive"  # stayed on Analyze


def _blank_clip(path: Path, *, seconds: float = 3.0, fps: int = 30) -> Path:
    """A real, decodable H.264 clip with nobody in it."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 128, np.uint8),
                                               format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_clip_without_a_runner_shows_the_analysis_error(tmp_path):
    clip = _blank_clip(tmp_path / "empty.mp4")
    at = _app()
    at.get("file_uploader")[0].upload("empty.mp4", clip.read_bytes(), "video/mp4")
    at.run()
    at.button(key="analyze").click()
    at.run(timeout=120)
    _no_exception(at)
    assert len(at.error) == 1 and "No runner was found" in at.error[0].value


def test_bad_optional_input_is_explained_before_any_analysis(tmp_path):
    at = _app()
    at.get("file_uploader")[0].upload("run.mp4", b"x" * 100, "video/mp4")
    at.text_input(key="speed").set_value("fast")
    at.run()
    at.button(key="analyze").click()
    at.run()
    _no_exception(at)
    assert len(at.error) == 1 and "not a number" in at.error[0].value


def _engine_recording_pose_models(monkeypatch) -> list[str]:
    seen = []

    def engine(path, *, options, **kwargs):
        seen.append(options.pose_model)
        raise AnalysisError("stand-in engine")

    monkeypatch.setattr("gait.pipeline.analyze_video", engine)
    return seen


def _analyse_upload(at, data: bytes) -> None:
    at.get("file_uploader")[0].upload("run.mp4", data, "video/mp4")
    at.run()
    at.button(key="analyze").click()
    at.run()


def test_uploads_get_the_heavy_pose_model_by_default_and_full_when_unticked(monkeypatch):
    """Heavy is the default (the box is ticked); unticking it gives the full model; the
    analysis gets what the box says (recorded by a stand-in engine)."""
    monkeypatch.delenv("HIPDRIVE_POSE_MODEL", raising=False)
    seen = _engine_recording_pose_models(monkeypatch)
    at = _app()
    assert at.checkbox(key="heavy_pose").value and not at.checkbox(key="heavy_pose").disabled
    _analyse_upload(at, b"bytes for the heavy model")
    _no_exception(at)
    assert seen == ["heavy"] and "stand-in engine" in at.error[0].value
    at.checkbox(key="heavy_pose").uncheck().run()
    _analyse_upload(at, b"other bytes, full model")
    assert seen == ["heavy", "full"]


def test_a_host_can_default_uploads_to_the_faster_full_model(monkeypatch):
    monkeypatch.setenv("HIPDRIVE_POSE_MODEL", "full")
    seen = _engine_recording_pose_models(monkeypatch)
    at = _app()
    assert not at.checkbox(key="heavy_pose").value
    _analyse_upload(at, b"bytes for a host's full default")
    assert seen == ["full"]


def test_without_the_heavy_model_installed_uploads_use_full_and_the_page_says_so(monkeypatch):
    monkeypatch.delenv("HIPDRIVE_POSE_MODEL", raising=False)
    monkeypatch.setattr("gait.pose_models.is_installed", lambda name: name != "heavy")
    seen = _engine_recording_pose_models(monkeypatch)
    at = _app()
    box = at.checkbox(key="heavy_pose")
    assert not box.value and box.disabled
    assert any("heavy pose model is not installed" in c.value for c in at.caption)
    _analyse_upload(at, b"bytes without the heavy model")
    assert seen == ["full"]


def test_unexpected_failure_shows_an_apology_not_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr("gait.pipeline.analyze_video", broken)
    at = _app()
    at.get("file_uploader")[0].upload("run.mov", b"unique bytes for this test", "video/mp4")
    at.run()
    at.button(key="analyze").click()
    at.run()
    _no_exception(at)
    assert len(at.error) == 1 and at.error[0].value.startswith("Sorry")
    assert "internal detail" not in at.error[0].value


# --- the sample run, Results -----------------------------------------------------------------

def test_sample_run_lands_on_results_with_the_real_numbers(sample_app):
    at = sample_app
    assert at.title[0].value == "Results"
    result = _current(at)
    assert result.is_sample and result.video_path is not None and result.video_path.exists()
    summary = result.report.summary
    near = summary.near_side
    metrics = {m.label: m.value for m in at.metric}
    cadence = f"{summary.cadence_spm:.0f} ± {summary.cadence_ci95_spm:.0f}"
    assert metrics["Cadence, steps/min"] == cadence
    ext = summary.per_side[near].metrics["peak_thigh_extension_deg"]
    assert metrics["Peak thigh extension"] == f"{ext.median:.1f}° ± {ext.ci95:.1f}°"
    assert any("synthetic runner" in i.value for i in at.info)
    # the sample has 9° less extension than the reference: drills are suggested
    assert summary.drills, "the sample run should trigger drills"
    assert len(at.get("video")) == 1
    assert len(at.get("plotly_chart")) == 3
    assert len(at.get("download_button")) == 4


def test_switching_pages_and_chart_options_never_reanalyse(sample_app, monkeypatch):
    runs = analysis_jobs().runs

    def forbidden(*args, **kwargs):
        raise AssertionError("pose extraction ran again")

    monkeypatch.setattr("gait.pipeline.analyze_video", forbidden)
    at = sample_app
    at.radio(key="measure").set_value("trunk_thigh").run()
    _no_exception(at)
    assert any("No reference data exist" in c.value for c in at.caption)
    assert "speed-matched reference" not in at.get("plotly_chart")[0].proto.spec
    at.radio(key="measure").set_value("thigh").run()
    at.switch_page("app_pages/method.py").run()
    at.switch_page("app_pages/results.py").run()
    _no_exception(at)
    again = _click_sample(_app())  # a new session, same clip: served from the cache
    _no_exception(again)
    assert again.title[0].value == "Results"
    assert analysis_jobs().runs == runs


def test_picking_a_stride_jumps_the_video_to_it(sample_app):
    at = sample_app
    result = _current(at)
    strides = result.report.strides
    row = strides[strides["side"] == result.report.summary.near_side].iloc[3]
    at.selectbox(key=f"pick_{result.id}").set_value(f"{row.side}-{row.stride}").run()
    _no_exception(at)
    video = at.get("video")[0].proto
    assert video.start_time == int(row.start_s)
    assert video.end_time == math.ceil(row.end_s)
    assert video.loop
    # beside the stride table (on a phone the video is screens above it): where it went
    line = (f"Video above: now at {row.side} leg stride {row.stride} "
            f"({row.side} foot strike at {row.start_s:.2f} s).")
    assert [i.value for i in at.info if i.value.startswith("Video above")] == [line]
    elements = list(_in_order(at.main))
    strides_table = next(i for i, e in enumerate(elements)
                         if e.type == "dataframe" and e.key == f"table_{result.id}")
    assert elements[strides_table + 1].value == line  # right under the table
    at.selectbox(key=f"pick_{result.id}").set_value("").run()
    assert at.get("video")[0].proto.start_time == 0
    assert not [i for i in at.info if i.value.startswith("Video above")]


def test_sessions_do_not_see_each_others_results(sample_app):
    other = _app(page="app_pages/results.py")
    _no_exception(other)
    assert any("No analysis yet" in i.value for i in other.info)
    assert not other.metric


# --- Results with an injected real result ----------------------------------------------------

def test_results_page_shows_summary_strides_drills_and_quality(before):
    at = _app(before, page="app_pages/results.py")
    _no_exception(at)
    summary = before.report.summary
    near = summary.near_side
    metrics = {m.label: m.value for m in at.metric}
    rom = summary.per_side[near].metrics["thigh_rom_deg"]
    assert metrics["Thigh range"] == f"{rom.median:.1f}° ± {rom.ci95:.1f}°"
    ref = {r.metric: r for r in summary.reference.comparison[near]}
    diff = ref["peak_thigh_extension_deg"].difference
    assert f"{diff:+.1f}°".replace("-", "−") in _markdown(at)
    assert f"**Runner:** {before.athlete}" in _markdown(at)
    assert any("No annotated video" in i.value for i in at.info)
    tables = at.dataframe
    assert len(tables) == 2  # strides + medians vs reference
    text = _markdown(at)
    for drill in summary.drills:
        assert f"**{drill.name}**" in text
    messages = [w.value for w in at.warning] + [i.value for i in at.info]
    for flag in summary.quality:
        assert flag.message in messages


def test_stride_table_shows_a_missing_value_as_a_dash_and_keeps_numbers(before):
    """A stride whose toe-off was not timed: its contact time is a dash, not "None", and
    the column stays numeric (it sorts). Without a video, a pick says the chart marks it."""
    from ui.text import DASH

    strides = before.report.strides.copy()
    strides["contact_time_s"] = strides["contact_time_s"].astype(object)
    strides.loc[strides["start_s"].idxmin(), "contact_time_s"] = None
    result = dataclasses.replace(before, id="no-toe-off", report=dataclasses.replace(
        before.report, strides=strides))
    at = _app(result, page="app_pages/results.py")
    _no_exception(at)
    table = next(t for t in at.dataframe if t.key == "table_no-toe-off")
    assert table.proto.placeholder == DASH
    contact = table.value["Contact s"]
    assert contact.dtype.kind == "f" and contact.isna().sum() == 1
    first = strides.sort_values("start_s").iloc[0]
    at.selectbox(key="pick_no-toe-off").set_value(f"{first.side}-{first.stride}").run()
    _no_exception(at)
    assert (f"Chart above: {first.side} leg stride {first.stride} marked "
            f"({first.side} foot strike at {first.start_s:.2f} s).") in [i.value for i in at.info]


def test_results_page_shows_the_verdict_before_the_headline_figures(before):
    at = _app(before, page="app_pages/results.py")
    _no_exception(at)
    alert, metric, banner = _first_alert_and_metric(at)
    assert alert < metric
    verdict = before.report.summary.reliability
    assert banner.value.startswith(f"**{VERDICT_LABELS[verdict.verdict]}**")
    for reason in verdict.reasons:
        assert reason.message in banner.value


def test_not_reliable_results_show_no_interval_and_no_drills_as_sound(slowed):
    at = _app(slowed, page="app_pages/results.py")
    _no_exception(at)
    alert, metric, banner = _first_alert_and_metric(at)
    assert alert < metric and isinstance(banner, Error)
    assert banner.value.startswith("**Not reliable**") and "capture rate" in banner.value
    assert "*Capture rate of a slow-motion clip*" in banner.value  # the app's own box,
    assert "--capture-fps" not in banner.value  # not the command line's flag
    assert at.metric and all("±" not in m.value for m in at.metric)
    # said on each card's detail line (in the big value it was cut off at 1280 px)
    flagged = [c.value for c in at.caption if c.value.startswith("not reliable · ")]
    assert len(flagged) == len(at.metric), flagged
    medians = at.dataframe[1].value
    assert not medians.astype(str).apply(lambda c: c.str.contains("±")).any().any()
    assert any("not based on sound numbers" in e.value for e in at.error)
    drills = slowed.report.summary.drills
    (folded,) = [e for e in at.expander if "suggestion" in e.label]
    folded_text = "\n".join(m.value for m in folded.markdown)
    for drill in drills:
        assert f"**{drill.name}**" in folded_text  # only inside the folded expander
    outside = [m.value for m in at.markdown if all(m is not f for f in folded.markdown)]
    assert not any(f"**{drill.name}**" == v for drill in drills for v in outside)


def test_compare_says_which_run_is_not_reliable_and_drops_the_interval(before, slowed):
    at = _app(before, slowed, page="app_pages/compare.py")
    _no_exception(at)
    assert any(e.value.startswith("**B (") and "Not reliable" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert set(table["± (95 %)"]) == {"not reliable"}


def test_results_picker_switches_between_session_results(before, after):
    at = _app(before, after, page="app_pages/results.py")
    assert at.selectbox(key="results_pick").value == after.id  # newest first
    assert "keeps your last 8 analyses" in at.selectbox(key="results_pick").help
    assert f"**Runner:** {after.athlete}" in _markdown(at)
    at.selectbox(key="results_pick").set_value(before.id).run()
    _no_exception(at)
    assert f"**Runner:** {before.athlete}" in _markdown(at)


def test_results_page_without_results_points_to_analyze():
    at = _app(page="app_pages/results.py")
    _no_exception(at)
    assert any("No analysis yet" in i.value for i in at.info)


# --- Compare ----------------------------------------------------------------------------------

def test_compare_lists_the_differences_of_two_runs(before, after):
    at = _app(before, after, page="app_pages/compare.py")
    _no_exception(at)
    table = at.dataframe[0].value
    row = table[table["measure"].str.startswith("Peak thigh extension")].iloc[0]
    near = before.report.summary.near_side
    a = before.report.summary.per_side[near].metrics["peak_thigh_extension_deg"].median
    b = after.report.summary.per_side[near].metrics["peak_thigh_extension_deg"].median
    assert row["A"] == f"{a:.1f}" and row["B"] == f"{b:.1f}"
    assert row["B − A"] == f"{b - a:+.1f}".replace("-", "−")
    assert b - a > 5  # the synthetic runs differ by 8°
    assert len(at.get("plotly_chart")) == 3


@pytest.fixture(scope="module")
def low(before):
    """`before` as if the runner had said the phone was low."""
    summary = before.report.summary
    low_summary = dataclasses.replace(
        summary, options=dataclasses.replace(summary.options, camera_height="low"))
    return dataclasses.replace(before, id="low-run", report=dataclasses.replace(
        before.report, summary=low_summary))


def test_results_of_a_low_phone_say_why_its_angles_are_not_compared(low):
    from gait.reference import LOW_CAMERA_NOT_COMPARED

    at = _app(low, page="app_pages/results.py")
    _no_exception(at)
    html = "\n".join(m.value for m in at.markdown)
    assert LOW_CAMERA_NOT_COMPARED in html  # the headline cards
    assert any("no reference curve: the phone was low" in c.value for c in at.caption)


def test_compare_warns_of_a_low_phone_and_draws_no_reference_for_it(before, low):
    """A run whose phone was low (as entered) read its thigh short: Compare says so, does
    not judge its thigh and knee angles against the other run's, and draws no reference."""

    def reference_traces(at) -> int:
        charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        return sum("reference" in (trace.get("name") or "") for chart in charts
                   for trace in chart["data"])

    normal = _app(before, before, page="app_pages/compare.py")
    assert reference_traces(normal) > 0
    assert not [i for i in normal.info if "phone low" in i.value]
    for runs, tag in (((low, before), "A"), ((before, low), "B")):
        at = _app(*runs, page="app_pages/compare.py")
        _no_exception(at)
        assert any(f"{tag} was filmed with the phone low" in i.value for i in at.info)
        assert reference_traces(at) == 0
        table = at.dataframe[0].value
        meaning = table.set_index("measure")["meaning"]
        assert meaning[meaning.index.str.startswith("Peak thigh extension")].iloc[0] == (
            f"not judged: {tag}'s phone was low")
        assert not meaning[meaning.index.str.startswith("Ground contact")].iloc[0].startswith(
            "not judged")


def test_compare_of_runs_at_different_speeds_draws_no_reference(before, after):
    """A's reference (2.5 m/s) drawn behind B's strides (3.5 m/s) judged B against the
    wrong speed: with the speeds apart, no reference is drawn and a note says why."""
    summary = after.report.summary
    faster = dataclasses.replace(after, id="faster-run", report=dataclasses.replace(
        after.report, summary=dataclasses.replace(summary, reference=dataclasses.replace(
            summary.reference, speed_mps_used=summary.reference.speed_mps_used + 1.0))))

    def reference_traces(at) -> int:
        charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        return sum("reference" in (trace.get("name") or "") for chart in charts
                   for trace in chart["data"])

    assert reference_traces(_app(before, after, page="app_pages/compare.py")) > 0
    at = _app(before, faster, page="app_pages/compare.py")
    _no_exception(at)
    assert reference_traces(at) == 0
    assert any("different speeds" in i.value and "no reference is drawn" in i.value
               for i in at.info)


def test_compare_far_leg_choice_warns_about_bias(before, after):
    at = _app(before, after, page="app_pages/compare.py")
    far = before.report.summary.far_side
    at.radio(key="compare_leg_a").set_value(far).run()
    _no_exception(at)
    assert any("far" in i.value and "3–5°" in i.value for i in at.info)


def test_compare_with_one_result_offers_the_sample(before):
    at = _app(before, page="app_pages/compare.py")
    _no_exception(at)
    assert at.button(key="compare_sample")
    assert not at.get("plotly_chart")


# --- Method -----------------------------------------------------------------------------------

def test_method_page_has_definitions_attribution_accuracy_and_limits():
    at = _app(page="app_pages/method.py")
    _no_exception(at)
    text = _markdown(at)
    assert ATTRIBUTION in text and "CC BY 4.0" in text
    for metric in CATALOGUE:
        assert f"- **{metric.name}** ({metric.unit}): {metric.definition}" in text
    assert "not lab \"hip extension\"" in text
    assert "One side view" in text
    readme = (Path(APP).parent / "README.md").read_text(encoding="utf-8")
    accuracy = readme_section(readme)
    if accuracy:
        table_row = next(line for line in accuracy.splitlines() if line.startswith("| "))
        assert table_row in text
        # the plain summary above it quotes only figures the README measured
        assert ACCURACY_IN_SHORT in text
        figures = re.findall(r"\*\*([^*]*\d[^*]*)\*\*", ACCURACY_IN_SHORT)
        assert len(figures) >= 8
        assert [f for f in figures if f not in accuracy] == []
    else:
        assert any("accuracy table" in i.value for i in at.info)


def _video_in_the_making(report, tmp_path: Path, key: str):
    """An AppTest on Results whose session has a job with its numbers ready and its
    video held back until the returned event is set."""
    import threading

    from ui.jobs import Analysis, Numbers

    video = tmp_path / f"{key}.mp4"
    release = threading.Event()
    numbers = Numbers()

    def work(progress):
        numbers.report = report
        while not release.wait(0.02):
            progress("render", 0.4, 3.0)
        video.write_bytes(b"\0" * 64)  # stands in for the MP4: only its path matters here
        return Analysis(key, report, video, private_video=True)

    at = AppTest.from_file(APP, default_timeout=60)
    token = key.ljust(32, "t")
    at.session_state[service.TOKEN_KEY] = token
    job = analysis_jobs().submit(key, work, session=token, numbers=numbers)
    at.session_state[state.PENDING_KEY] = state.Pending(job=job, file_name="run.mp4")
    at.switch_page("app_pages/results.py").run()
    _no_exception(at)
    return at, job, release


def test_the_numbers_show_while_the_annotated_video_is_still_being_made(before, tmp_path):
    """A job whose numbers exist but whose video is still being made: Results shows the
    figures at once with the video's progress (not "Still analysing"); once the job
    ends, the next run attaches the video to that same result."""
    at, job, release = _video_in_the_making(before.report, tmp_path, "numbers-first")
    shown = _current(at)
    assert shown.video_path is None and not job.done
    assert "Still analysing" not in _markdown(at) + "".join(i.value for i in at.info)
    assert any(m.label == "Cadence, steps/min" for m in at.metric)
    assert any("annotated video" in p.proto.text for p in at.get("progress"))
    assert any("The numbers are ready" in c.value for c in at.caption)
    release.set()
    job.future.result(timeout=30)
    at.run()
    _no_exception(at)
    kept = _current(at)
    assert kept.id == shown.id and kept.video_path is not None and kept.video_path.exists()
    assert state.PENDING_KEY not in at.session_state


def test_a_result_removed_before_its_video_is_made_never_gets_it(before, tmp_path):
    at, job, release = _video_in_the_making(before.report, tmp_path, "removed-early")
    shown = _current(at)
    at.button(key=f"remove_{shown.id}").click().run()
    release.set()
    job.future.result(timeout=30)
    at.run()
    _no_exception(at)
    assert not at.session_state[state.RESULTS_KEY]
    folder = service.instance_dir(analysis_jobs()) / at.session_state[service.TOKEN_KEY]
    assert not folder.exists() or not list(folder.rglob("*.mp4"))  # claimed, then deleted
    assert not (tmp_path / "removed-early.mp4").exists()  # and the job's copy went too
    assert state.PENDING_KEY not in at.session_state


def test_a_new_clip_waits_for_the_previous_clips_video_instead_of_being_refused(
        before, tmp_path, sample_app):
    """One job per session: while the last clip's video is still being made, the next
    analysis waits the few seconds for it (and collects it) rather than saying "your
    previous clip is still being analysed"."""
    import threading

    at, job, release = _video_in_the_making(before.report, tmp_path, "previous-video")
    first = _current(at)
    threading.Timer(1.0, release.set).start()
    at.switch_page("app_pages/analyze.py").run()
    at.button(key="sample").click()
    at.run(timeout=SAMPLE_TIMEOUT_S)
    _no_exception(at)
    assert job.done
    assert not any("still being analysed" in w.value for w in at.warning)
    kept = {r.id: r for r in at.session_state[state.RESULTS_KEY]}
    assert kept[first.id].video_path is not None  # the earlier clip got its video
    assert any(r.is_sample for r in kept.values())
