"""gait.headline: the figures every surface shows first, decided once; the app's cards
and comparison table and the HTML report render the same numbers and words."""

from __future__ import annotations

import copy
import dataclasses
import html
import re

import pytest

from gait.headline import (
    NO_SPEED_REFERENCE,
    NO_TRUNK_THIGH_REFERENCE,
    NOT_JUDGED,
    TOO_FEW_TO_COMPARE,
    figure,
    headline,
)
from gait.metric_catalogue import COMPARED
from gait.pipeline import analyze_track
from gait.reference import MIN_STRIDES_TO_COMPARE, difference_band
from gait.report import render_html_report
from gait.result import AnalysisOptions, AnalysisSummary
from gait.summary import ClipFacts
from tests.store_writers import small_report
from tests.test_real_tracks import FULL_MODEL, load_recorded
from ui.text import comparison_table, headline_cards, setup_line


@pytest.fixture(scope="module")
def report():
    return small_report()


def test_figures_come_from_the_summary_and_its_reference_comparison(report):
    s = report.summary
    top = headline(s)
    near = s.near_side
    extension = top.angles[0]
    assert extension.metric == "peak_thigh_extension_deg" and extension.side == near
    assert extension.median == pytest.approx(s.per_side[near].metrics["peak_thigh_extension_deg"]
                                             .median)
    row = next(r for r in s.reference.comparison[near]
               if r.metric == "peak_thigh_extension_deg")
    assert (extension.reference, extension.difference) == (row.reference, row.difference)
    assert extension.band == row.band and extension.words == row.interpretation
    trunk_thigh = next(f for f in top.angles if f.metric == "hip_rom_deg")
    assert not trunk_thigh.compared and trunk_thigh.words == NO_TRUNK_THIGH_REFERENCE
    assert [near_figure.metric for near_figure, _ in top.rows] == list(COMPARED)
    assert top.cadence.median == pytest.approx(s.cadence_spm)


def test_an_older_summary_without_bands_gets_them_and_no_speed_means_no_comparison(report):
    older = copy.deepcopy(report.summary.as_json())
    for rows in older["reference"]["comparison"].values():
        for row in rows:
            row.pop("band", None)
    extension = headline(AnalysisSummary.from_json(older)).angles[0]
    assert extension.band == difference_band("peak_thigh_extension_deg", extension.difference)
    unknown = dataclasses.replace(report.summary, reference=None)  # as with no speed
    top = headline(unknown)
    assert not top.angles[0].compared and top.angles[0].words == NO_SPEED_REFERENCE
    assert top.angles[0].median is not None  # the runner's own figure is still shown


def _cells(html_text: str, table_id: str) -> list[list[str]]:
    table = html_text[html_text.index(f'<table id="{table_id}">'):]
    table = table[:table.index("</table>")]
    return [[html.unescape(re.sub("<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table)][1:]


def _number(text: str) -> float | None:
    return None if text in ("–", "") else float(text.replace("−", "-"))


def test_the_app_and_the_report_show_the_same_comparison(report):
    app = comparison_table(report.summary).iloc[1:]  # the report's table has no cadence row
    shown = _cells(render_html_report(report), "medians")
    assert len(shown) == len(app) == len(COMPARED)
    for (_, app_row), report_row in zip(app.iterrows(), shown, strict=True):
        assert report_row[0] == app_row["measure"]
        in_report, in_app = _number(report_row[3]), _number(app_row["reference"])
        assert (in_report is None) == (in_app is None)
        if in_app is not None:  # the report rounds times to 0.01 s, the app to 0.001 s
            assert in_report == pytest.approx(in_app, abs=0.006)
        assert report_row[5] == app_row["meaning"] or app_row["meaning"].startswith("no ref")


def test_the_headline_cards_carry_the_figures_of_the_headline(report):
    top = headline(report.summary)
    cards = {card.key: card for card in headline_cards(report.summary)}
    extension = top.angles[0]
    assert f"{extension.median:.1f}°" in cards["thigh_extension"].value
    assert cards["thigh_extension"].words == extension.words
    assert {"noise": "green", "possible": "orange", "likely": "red"}[extension.band] == \
        cards["thigh_extension"].colour
    unsound_cards = {card.key: card for card in headline_cards(report.summary, sound=False)}
    unsound = unsound_cards["thigh_extension"]
    assert "±" not in unsound.value and unsound.detail.startswith("not reliable · ")
    # a not-reliable analysis calls no difference real or noise, in words or in colour
    for key in ("thigh_extension", "symmetry"):
        assert unsound_cards[key].words == NOT_JUDGED and unsound_cards[key].colour == "gray"


def test_a_cadence_that_gave_the_speed_is_not_compared_with_the_reference(monkeypatch):
    """When the video gives no speed, the speed is read off the reference's cadence-speed
    relation: the reference's cadence then equals the runner's by construction, so it is
    not compared (fresh analyses, and saved ones when they are opened)."""
    from gait.headline import NO_CADENCE_COMPARISON
    from gait.pipeline import analyze_track
    from gait.reference import SPEED_FROM_CADENCE_SOURCE
    from gait.summary_versions import upgrade_summary
    from synthetic.runner_model import synthesize_run, to_pose_track

    monkeypatch.setattr("gait.pipeline.estimate_speed_mps", lambda *a, **k: None)
    run = synthesize_run(fps=60, duration_s=8, seed=3, speed_mps=3.5)
    fresh = analyze_track(to_pose_track(run, noise_px=1.0, seed=3), capture_fps=60.0)
    s = fresh.summary
    assert s.speed_source == SPEED_FROM_CADENCE_SOURCE and s.reference
    assert all(row.metric != "cadence_spm"
               for rows in s.reference.comparison.values() for row in rows)
    assert any(row.metric == "peak_thigh_extension_deg"  # the angles still are
               for row in s.reference.comparison[s.near_side])
    cadence = headline(s).cadence
    assert not cadence.compared and cadence.words == NO_CADENCE_COMPARISON
    assert html.escape(NO_CADENCE_COMPARISON, quote=False) in render_html_report(fresh)
    from ui.text import headline_cards  # the app's card: "not compared", not "no reference"
    card = next(c for c in headline_cards(s, sound=True) if c.key == "cadence")
    assert card.detail == "not compared" and card.words == NO_CADENCE_COMPARISON
    # a summary saved before (version 1) compared it: the row goes when it is opened
    old = copy.deepcopy({k: v for k, v in s.as_json().items() if k != "schema_version"})
    near = s.near_side
    old["reference"]["comparison"][near].append(
        {"metric": "cadence_spm", "value": s.cadence_spm, "reference": s.cadence_spm,
         "difference": 0.0, "interpretation": "similar (< 5 %)"})
    opened = upgrade_summary(old, strides=fresh.strides, events=fresh.events,
                             frames=fresh.frames)
    assert not headline(AnalysisSummary.from_json(opened)).cadence.compared
    # the input is left as it was
    assert headline(AnalysisSummary.from_json(old)).cadence.compared
    # a slow cadence (142 steps/min) reads as the slowest reference speed, whose cadence
    # is 161: no drill may call the runner's cadence low against that reference either
    slow_track = to_pose_track(synthesize_run(fps=60, duration_s=8, seed=3, speed_mps=2.0),
                               noise_px=1.0, seed=3)
    slow_track = slow_track.with_arrays(time_s=slow_track.time_s * 1.1)  # 156 → 142 steps/min
    slow = analyze_track(slow_track, capture_fps=60.0 / 1.1)
    assert slow.summary.speed_source == SPEED_FROM_CADENCE_SOURCE
    assert slow.summary.cadence_spm < 0.95 * slow.summary.reference.values["cadence_spm"]
    assert not any("steps/min vs" in drill.finding for drill in slow.summary.drills)


def test_a_leg_with_fewer_than_two_strides_is_not_compared_and_says_so():
    """The small runner's track clip analysed at the 30 fps the user gave (not slowed),
    its first 3.3 s: one stride in all. The reference is still speed-matched, but
    neither leg nor the cadence is compared with it, no drill rests on that one stride,
    and the cards say "not compared" with the reason rather than "the running speed is
    unknown". (The whole clip gave one stride until the stance-foot change of 2026-12-03
    found a second.)"""
    track, _ = load_recorded("ht_track_fixedcam_smallsubject")
    first = track.time_s < 3.3
    track = track.with_arrays(
        time_s=track.time_s[first], x_px=track.x_px[first], y_px=track.y_px[first],
        confidence=track.confidence[first],
        flags={name: flag[first] for name, flag in track.flags.items()})
    analysed = analyze_track(track, options=AnalysisOptions(capture_fps=30.0,
                                                            pose_model="full"),
                             capture_fps=30.0)
    s = analysed.summary
    assert s.reference is not None and len(analysed.strides) < MIN_STRIDES_TO_COMPARE
    assert all(not rows for rows in s.reference.comparison.values())
    assert {d.id for d in s.drills} == {"no_glute_activation"}
    top = headline(s)
    assert top.cadence.words == TOO_FEW_TO_COMPARE
    assert top.angles[0].words == TOO_FEW_TO_COMPARE
    cards = {card.key: card for card in headline_cards(s)}
    assert cards["cadence"].detail.endswith("not compared")
    assert cards["thigh_extension"].detail.endswith("not compared")
    assert NO_SPEED_REFERENCE not in render_html_report(analysed)


def test_setup_line_tells_the_file_rate_from_the_assumed_capture_rate():
    """A clip that plays at 30 fps for 6.1 s and was taken as 2× slow motion: the line
    gives both, and says the 60 fps was assumed; the rate the user gave is called so."""
    track, fps = load_recorded("ht_track_fixedcam_smallsubject")
    assumed = analyze_track(track, capture_fps=fps, options=FULL_MODEL,
                            video=ClipFacts(file=None, stored_fps=fps, capture_fps=fps))
    line = setup_line(assumed.summary)
    assert "the file plays at 30 fps for 6.1 s" in line
    assert "2× slow motion (assumed, not given): 60 fps, 3.1 s of running" in line
    # the quality notes speak of the same two rates, not of a file "playing at 60"
    notes = {flag.id: flag.message for flag in assumed.summary.quality}
    assert "although the file plays at 30 frames/s (60 per second of running" in notes[
        "repeated_frames"]
    assert notes["short_clip"].startswith("The clip holds 3.1 s of running")
    given = dataclasses.replace(assumed.summary, slow_motion=None,
                                options=AnalysisOptions(capture_fps=60.0))
    assert ("filmed at 60 fps (the rate you gave; the file plays at 30 fps for 6.1 s): "
            "3.1 s of running") in setup_line(given)
    as_filmed = dataclasses.replace(given, capture_fps=fps, duration_s=6.1)
    assert "· 30 fps, 6.1 s ·" in setup_line(as_filmed)


def test_a_time_within_its_own_interval_of_the_reference_is_not_called_different(report):
    """Contact time 12 % over the reference but with a ± larger than that difference:
    no clear difference (a percentage band alone would say "clearly different"); a not
    reliable analysis quotes no ± in its words."""
    s = report.summary
    near = s.near_side
    ci95 = s.side(near).figure("contact_time_s").ci95
    reference = 4 * ci95  # the runner is reference + ci95 / 2: 12.5 % over
    rows = tuple(dataclasses.replace(row, reference=reference, difference=ci95 / 2,
                                     interpretation="clearly different (> 10 %)")
                 if row.metric == "contact_time_s" else row
                 for row in s.reference.comparison[near])
    changed = dataclasses.replace(s, reference=dataclasses.replace(
        s.reference, comparison={**s.reference.comparison, near: rows}))
    contact = next(n for n, _ in headline(changed).rows if n.metric == "contact_time_s")
    assert contact.words.startswith("no clear difference: within the uncertainty (± ")
    unsound = next(n for n, _ in headline(changed, sound=False).rows
                   if n.metric == "contact_time_s")
    assert unsound.words == NOT_JUDGED and unsound.band == ""  # not reliable: not judged


def test_a_contact_time_within_two_frames_of_timing_is_not_called_different(report):
    """At 30 fps a contact time 40 ms under the reference, with a ± of 20 ms, was
    "clearly different" while contacts on real clips are off by up to a frame or two
    (gait.headline.EVENT_TIMING_FRAMES): beyond its ± by less than two frames it is no
    clear difference; beyond both it is judged."""
    s = dataclasses.replace(report.summary, capture_fps=30.0)
    near = s.near_side
    ci95 = s.side(near).figure("contact_time_s").ci95

    def contact_figure(difference_s):
        rows = tuple(dataclasses.replace(row, reference=0.27, difference=difference_s,
                                         interpretation="clearly different (> 10 %)")
                     if row.metric == "contact_time_s" else row
                     for row in s.reference.comparison[near])
        changed = dataclasses.replace(s, reference=dataclasses.replace(
            s.reference, comparison={**s.reference.comparison, near: rows}))
        return next(n for n, _ in headline(changed).rows if n.metric == "contact_time_s")

    within = contact_figure(-(ci95 + 1.9 / 30))  # past its ± by 1.9 frames
    assert within.words.startswith("no clear difference: within the uncertainty (± ")
    assert "2 frames of event timing, 0.067 s" in within.words
    assert contact_figure(-(ci95 + 2.2 / 30)).words == "clearly different (> 10 %)"


def test_compare_calls_no_difference_within_the_runs_own_uncertainty(report):
    """Compare (B − A): contact time 12 % longer but within the two runs' combined ±:
    "no clear difference"; an angle inside the pose noise keeps its noise words."""
    from gait.summary import MetricFigure, SideFigures
    from ui.text import difference_rows

    a = report.summary
    near = a.near_side
    figures = dict(a.side(near).metrics)
    contact = figures["contact_time_s"]
    figures["contact_time_s"] = MetricFigure(contact.median * 1.12, contact.sd,
                                             0.2 * contact.median)
    b = dataclasses.replace(a, per_side={**a.per_side, near: SideFigures(
        a.side(near).n_strides, figures)})
    rows = difference_rows(a, b, side_a=near, side_b=near).set_index("measure")
    assert rows.loc["Ground contact time (s)", "meaning"].startswith("no clear difference")
    assert rows.loc["Peak thigh extension (°)", "meaning"].startswith("within measurement noise")
    unsound = difference_rows(a, b, side_a=near, side_b=near, sound=False).set_index("measure")
    judged = unsound[unsound["B − A"] != "–"]  # either run not reliable: none is judged
    assert len(judged) >= 10 and (judged["meaning"] == NOT_JUDGED).all()


def test_left_minus_right_from_a_single_stride_is_not_judged(report):
    from gait.summary import SideFigures

    s = report.summary
    far = s.far_side
    one = dataclasses.replace(s, per_side={**s.per_side, far: SideFigures(
        1, dict(s.side(far).metrics))})
    sym = headline(one).symmetry
    assert sym.difference_deg is not None  # the number is still shown
    assert sym.words == TOO_FEW_TO_COMPARE and sym.band == ""
    assert headline(s).symmetry.words.endswith("after allowing for the far leg reading 3–5° low")


def test_a_figure_held_by_one_stride_is_not_judged_however_many_strides_the_leg_has(report):
    """A held-out real clip (a treadmill, the far leg hidden behind the near one): the far
    leg kept 2 strides but its peak extension was seen in only one of them, and "the far
    leg extends about 9° more" was said on that one stride. A figure with no ± (fewer than
    two strides hold it) is shown, not judged: neither left − right nor against the
    reference."""
    from gait.summary import MetricFigure, SideFigures

    s = report.summary
    far, near = s.far_side, s.near_side
    one_value = {**s.side(far).metrics, "peak_thigh_extension_deg": MetricFigure(
        s.side(far).median("peak_thigh_extension_deg"), None, None)}
    seen_once = dataclasses.replace(s, per_side={**s.per_side, far: SideFigures(
        s.side(far).n_strides, one_value)})
    assert seen_once.side(far).n_strides >= 2
    sym = headline(seen_once).symmetry
    assert sym.difference_deg is not None and sym.words == TOO_FEW_TO_COMPARE and sym.band == ""
    near_once = dataclasses.replace(s, per_side={**s.per_side, near: SideFigures(
        s.side(near).n_strides, {**s.side(near).metrics, "peak_thigh_extension_deg":
                                 MetricFigure(s.side(near).median("peak_thigh_extension_deg"))})})
    card = figure(near_once, near, "peak_thigh_extension_deg")
    assert card.median is not None and card.words == TOO_FEW_TO_COMPARE and card.band == ""
    assert figure(s, near, "peak_thigh_extension_deg").words != TOO_FEW_TO_COMPARE


def test_left_minus_right_beyond_the_noise_says_which_leg_extends_more_and_by_how_much(report):
    """+3.1° with the far leg higher than the near is ~6° once the far leg's 3–5° low
    reading is allowed for: the words say so, rather than "5–10°" beside "+3.1°"."""
    from gait.summary import MetricFigure, SideFigures

    s = report.summary
    near, far = s.near_side, s.far_side
    ext = s.side(near).figure("peak_thigh_extension_deg")

    def with_far_extension(far_deg):
        figures = dict(s.side(far).metrics)
        figures["peak_thigh_extension_deg"] = MetricFigure(far_deg, ext.sd, ext.ci95)
        changed = dataclasses.replace(s, per_side={**s.per_side, far: SideFigures(
            s.side(far).n_strides, figures)})
        diff = (ext.median - far_deg) * (1 if near == "left" else -1)  # left − right
        sym = dict(changed.symmetry)
        sym["peak_thigh_extension_deg"] = dataclasses.replace(
            sym["peak_thigh_extension_deg"], left_minus_right=diff)
        return headline(dataclasses.replace(changed, symmetry=sym)).symmetry

    higher_far = with_far_extension(ext.median + 3.1)  # the far leg reads 3.1° MORE
    assert higher_far.band == "possible"
    assert higher_far.words.startswith("possible difference (5–10°): the far "
                                       f"({far}) leg extends about 6° more")
    assert higher_far.words.endswith("after allowing for the far leg reading 3–5° low")
    lower_far = with_far_extension(ext.median - 4.0)  # 4° lower: the far leg's usual reading
    assert lower_far.band == "noise" and lower_far.words.startswith("within measurement noise")
