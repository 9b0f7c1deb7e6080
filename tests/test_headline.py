"""gait.headline: the figures every surface shows first, decided once; the app's cards
and comparison table and the HTML report render the same numbers and words."""

from __future__ import annotations

import copy
import dataclasses
import html
import re

import pytest

from gait.headline import NO_SPEED_REFERENCE, NO_TRUNK_THIGH_REFERENCE, headline
from gait.metric_catalogue import COMPARED
from gait.reference import difference_band
from gait.report import render_html_report
from gait.result import AnalysisSummary
from tests.store_writers import small_report
from ui.text import comparison_table, headline_cards


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
    unknown = dataclasses.replace(
        report.summary, reference=dataclasses.replace(report.summary.reference, comparison={}))
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
    unsound = headline_cards(report.summary, sound=False)[1]
    assert "±" not in unsound.value and unsound.detail.startswith("not reliable · ")


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
