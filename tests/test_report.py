"""The self-contained HTML report (gait.report), built from a synthetic run analysed
end to end by gait.pipeline.analyze_track."""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
from html.parser import HTMLParser

import pytest

from gait import report as report_module
from gait.pipeline import analyze_track
from gait.reference import ATTRIBUTION
from gait.report import render_html_report, write_html_report
from gait.result import AnalysisSummary
from gait.summary import ClipFacts
from gait.summary_versions import upgrade_summary

try:
    from synthetic.runner_model import synthesize_run, to_pose_track
except ImportError:  # tests/ on sys.path instead of the project root
    from synthetic.runner_model import synthesize_run, to_pose_track

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
EVIL = "<script>alert(1)</script>"


class Tree(HTMLParser):
    """Checks nesting and collects elements: (tag, attrs, text, ancestors)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.elements: list[dict] = []
        self.errors: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def _open(self, tag: str, attrs: list) -> dict:
        element = {"tag": tag, "attrs": dict(attrs), "text": "",
                   "ancestors": [e for _, e in self.stack]}
        self.elements.append(element)
        return element

    def handle_starttag(self, tag, attrs):
        element = self._open(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, element))

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        for _, element in self.stack:
            element["text"] += data

    def find(self, tag: str | None = None, *, inside: dict | None = None, **attrs) -> list[dict]:
        found = []
        for e in self.elements:
            if tag and e["tag"] != tag:
                continue
            if inside is not None and not any(a is inside for a in e["ancestors"]):
                continue
            if all(name == "class_" and value in e["attrs"].get("class", "").split()
                   or e["attrs"].get(name) == value for name, value in attrs.items()):
                found.append(e)
        return found

    def one(self, tag: str | None = None, **attrs) -> dict:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"{tag} {attrs}: {len(found)} found"
        return found[0]


def parse(text: str) -> Tree:
    tree = Tree()
    tree.feed(text)
    tree.close()
    return tree


@pytest.fixture(scope="module")
def gait_report():
    run = synthesize_run(fps=60.0, duration_s=10.0, speed_mps=3.2, stride_jitter=0.01,
                         extension_jitter_deg=2.0, seed=7)
    track = to_pose_track(run, noise_px=1.0, seed=7)
    video = ClipFacts(file="jane_treadmill.mp4", width_px=track.frame_width_px,
                      height_px=track.frame_height_px, rotation_deg=0, stored_fps=60.0,
                      capture_fps=60.0, codec="h264")
    result = analyze_track(track, capture_fps=60.0, video=video)
    assert len(result.strides) >= 20  # both legs, ~13 strides each in 10 s
    return result


@pytest.fixture(scope="module")
def page(gait_report) -> tuple[str, Tree]:
    text = render_html_report(gait_report, title="Treadmill test", athlete="Jane Doe")
    return text, parse(text)


def page_title(tree: Tree) -> str:
    (title,) = tree.find("title", inside=tree.one("head"))
    return title["text"]


def with_summary(report, change) -> object:
    """The report with its summary changed by `change`, which edits summary.json's dict."""
    summary = copy.deepcopy(report.summary.as_json())
    change(summary)
    return dataclasses.replace(report, summary=AnalysisSummary.from_json(summary))


def test_file_is_written_atomically(gait_report, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    assert write_html_report(gait_report, target, athlete="Jane Doe") == target
    assert os.listdir(tmp_path) == ["report.html"]  # no temp file left behind
    assert target.read_text(encoding="utf-8") == render_html_report(gait_report,
                                                                    athlete="Jane Doe")

    target.write_text("previous report", encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report_module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_html_report(gait_report, target)
    assert target.read_text(encoding="utf-8") == "previous report"  # never half-written
    assert os.listdir(tmp_path) == ["report.html"]


def test_page_is_well_formed_html(page):
    text, tree = page
    assert tree.doctype
    assert tree.errors == []
    assert tree.stack == []  # every element closed
    for tag in ("html", "head", "body", "main"):
        tree.one(tag)
    tree.one("meta", charset="utf-8")
    assert page_title(tree) == "Treadmill test"
    assert tree.one("h1")["text"] == "Treadmill test"


def test_nothing_is_loaded_from_elsewhere(page):
    text, tree = page
    assert len(text.encode()) < 400_000
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "video",
                "audio", "source", "use", "base"):
        assert tree.find(tag) == [], tag
    for e in tree.elements:
        for name, value in e["attrs"].items():
            if e["tag"] == "a" and name == "href":
                continue
            assert name not in ("src", "srcset", "href", "xlink:href", "data"), (e["tag"], name)
            assert "http" not in (value or ""), (e["tag"], name, value)
            assert "url(" not in (value or "") or value.startswith("url(#"), value
    style = tree.one("style")["text"]
    assert "@import" not in style and "url(" not in style and "@font-face" not in style


def test_stride_chart_plots_every_stride_of_both_legs(gait_report, page):
    _, tree = page
    chart = tree.one("svg", id="chart-strides")
    for side in ("left", "right"):
        rows = gait_report.strides[gait_report.strides["side"] == side]
        group = tree.one("g", class_=f"leg-{side}")
        assert any(a is chart for a in group["ancestors"])
        tips = [e["text"] for e in tree.find("title", inside=group)]
        assert tips == [f"{side} stride {int(r.stride)} at {r.start_s:.1f} s: "
                        f"{r.peak_thigh_extension_deg:.1f}°" for r in rows.itertuples()]
    ref = gait_report.summary.reference.values["peak_thigh_extension_deg"]
    assert len(tree.find("path", inside=chart, class_="ref-line")) == 1
    assert len(tree.find("polygon", inside=chart, class_="ref-band")) == 1
    assert f"speed-matched reference {ref:.1f}°" in page[0]


@pytest.mark.parametrize("part", ["thigh", "knee"])
def test_gait_cycle_charts_show_each_near_stride_mean_and_reference(gait_report, page, part):
    _, tree = page
    near = gait_report.summary.near_side
    n_near = int((gait_report.strides["side"] == near).sum())
    chart = tree.one("svg", id=f"chart-cycle-{part}")
    assert len(tree.find("path", inside=chart, class_="stride-curve")) == n_near
    assert len(tree.find("path", inside=chart, class_="mean-curve")) == 1
    assert len(tree.find("path", inside=chart, class_="ref-curve")) == 1
    assert len(tree.find("polygon", inside=chart, class_="ref-band")) == 1
    rows = gait_report.strides[gait_report.strides["side"] == near]
    toe_off = 100 * ((rows.toe_off_s - rows.start_s) / (rows.end_s - rows.start_s)).mean()
    labels = [e["text"] for e in tree.find("text", inside=chart)]
    assert "foot strike" in labels and f"toe-off {toe_off:.0f} %" in labels


def test_stride_table_has_one_row_per_stride_with_rounded_values(gait_report, page):
    _, tree = page
    table = tree.one("table", id="stride-table")
    rows = tree.find("tr", inside=table)[1:]  # first row is the header
    assert len(rows) == len(gait_report.strides)
    header = [e["text"] for e in tree.find("th", inside=table)]
    ext_col, conf_col = header.index("Thigh ext °"), header.index("Conf.")
    shown = {}
    for row in rows:
        cells = [e["text"] for e in tree.find("td", inside=row)]
        shown[(cells[0].split()[0], int(cells[1]))] = (cells[ext_col], cells[conf_col])
    for r in gait_report.strides.itertuples():
        assert shown[(r.side, r.stride)] == (f"{r.peak_thigh_extension_deg:.0f}",
                                             f"{r.confidence:.2f}" + (" ⚠" if r.confidence < 0.6
                                                                      else ""))


def test_a_stride_of_low_confidence_is_marked_in_the_table(gait_report):
    """The table's definition says "below ~0.6 treat the stride with caution": such a
    stride's confidence is marked, the others are not."""
    strides = gait_report.strides.assign(confidence=0.9)
    strides.loc[0, "confidence"] = 0.45
    tree = parse(render_html_report(dataclasses.replace(gait_report, strides=strides)))
    marked = tree.find("td", class_="lowconf")
    assert [e["text"] for e in marked] == ["0.45 ⚠"]
    assert "under 0.6" in marked[0]["attrs"]["title"]


def test_user_and_summary_text_is_escaped(gait_report):
    def poison(summary):
        summary["video"]["file"] = "<img src=x onerror=alert(1)>.mp4"
        summary["quality"] = [{"id": "x", "severity": "warning", "message": "<b>bold</b>"}]
        summary["drills"][0]["name"] = EVIL
        summary["speed_source"] = "<i>typed</i>"

    text = render_html_report(with_summary(gait_report, poison), title=EVIL, athlete=EVIL)
    tree = parse(text)
    assert "<script" not in text and "<img" not in text and "<b>bold" not in text
    assert "<i>typed" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # title ×2, athlete, drill
    assert "&lt;img src=x onerror=alert(1)&gt;.mp4" in text
    assert page_title(tree) == EVIL  # shown to the reader as typed
    assert tree.errors == []


def test_headline_cadence_matches_summary(gait_report, page):
    _, tree = page
    cadence = gait_report.summary.cadence_spm
    assert 150 < cadence < 190
    assert tree.one("span", id="headline-cadence")["text"] == str(round(cadence))
    card = tree.one("div", id="card-cadence")["text"]
    assert f"± {gait_report.summary.cadence_ci95_spm:.1f}" in card


def test_headline_compares_near_leg_with_reference(gait_report, page):
    _, tree = page
    near = gait_report.summary.near_side
    stat = gait_report.summary.per_side[near].metrics["peak_thigh_extension_deg"]
    row = next(r for r in gait_report.summary.reference.comparison[near]
               if r.metric == "peak_thigh_extension_deg")
    card = tree.one("div", id="card-extension")["text"]
    assert f"{stat.median:.1f}°" in card and f"± {stat.ci95:.1f}°" in card
    assert f"Reference {row.reference:.1f}°" in card
    assert f"{abs(row.difference):.1f}°" in card
    assert row.interpretation in card
    speed = tree.one("div", id="card-speed")["text"]
    assert f"{gait_report.summary.speed_mps:.1f} m/s" in speed
    assert "estimated" in speed  # speed was not entered by the user: say so
    assert gait_report.summary.reference.note in speed


def test_missing_numbers_show_as_dash(gait_report):
    near = gait_report.summary.near_side

    def blank(summary):
        summary["per_side"][near]["peak_thigh_extension_deg"] = {
            "median": None, "sd": None, "ci95": float("nan")}
        summary["cadence_ci95_spm"] = None
        summary["speed_mps"], summary["speed_source"] = None, "unknown"
        summary["reference"] = None
        summary["symmetry"] = {}

    strides = gait_report.strides.copy()
    strides.loc[0, "peak_thigh_extension_deg"] = math.nan
    broken = dataclasses.replace(with_summary(gait_report, blank), strides=strides)
    tree = parse(render_html_report(broken))
    visible = tree.one("body")["text"]
    assert not re.search(r"\b(nan|NaN|None|inf)\b", visible)
    assert "–°" not in visible  # a dash never gets a unit glued to it as if it were a number
    extension = tree.one("div", id="card-extension")["text"]
    assert "median–" in extension and "±" not in extension
    assert "±" not in tree.one("div", id="card-cadence")["text"]
    assert "– m/s" in tree.one("div", id="card-speed")["text"]
    table = tree.one("table", id="stride-table")
    header = [e["text"] for e in tree.find("th", inside=table)]
    side, stride = strides.loc[0, "side"], strides.loc[0, "stride"]
    cells = next(c for c in ([e["text"] for e in tree.find("td", inside=r)]
                             for r in tree.find("tr", inside=table)[1:])
                 if c[0].split()[0] == side and c[1] == str(stride))
    assert cells[header.index("Thigh ext °")] == "–"
    assert tree.find("path", class_="ref-curve") == []
    assert tree.find("path", class_="ref-line") == []


def test_sections_in_order_with_definitions_and_sources(gait_report, page):
    text, tree = page
    ids = [e["attrs"]["id"] for e in tree.find("section")]
    assert ids == ["reliability", "summary", "strides", "cycle", "table", "quality", "drills",
                   "definitions"]
    definitions = tree.one("section", id="definitions")["text"]
    assert "not lab hip extension" in definitions and "13–16°" in definitions
    assert tree.one("p", id="attribution")["text"] == ATTRIBUTION
    for marker in gait_report.summary.elite_markers:
        assert f"{marker.text} ({marker.source})" in definitions
    drills = tree.one("section", id="drills")["text"]
    for drill in gait_report.summary.drills:
        for key in ("name", "finding", "why", "evidence", "evidence_grade", "dosage"):
            assert getattr(drill, key) in drills
    cleaning = gait_report.summary.cleaning
    quality = tree.one("section", id="quality")["text"]
    assert f"swapped back in {cleaning.swap_repaired_frames} frames" in quality
    for flag in gait_report.summary.quality:
        assert flag.message in quality


NOT_RELIABLE = {"verdict": "not_reliable", "reasons": [
    {"id": "slow_motion", "severity": "not_reliable",
     "message": "The steps look about 4× slower than running: give the real capture rate."},
    {"id": "few_strides", "severity": "use_with_care", "message": "Only 5 left stride(s)."}]}


def test_verdict_banner_comes_first_with_every_reason(gait_report, page):
    _, tree = page
    body = tree.one("body")
    first = next(e for e in tree.elements if e["tag"] == "section")
    assert first["attrs"]["id"] == "reliability"
    verdict = gait_report.summary.reliability.verdict
    assert f"verdict-{verdict}" in first["attrs"]["class"]
    assert body["text"].index(first["text"]) < body["text"].index("Headline figures")
    for reason in gait_report.summary.reliability.reasons:
        assert reason.message in first["text"]


def test_not_reliable_report_gives_no_interval_and_drills_not_as_sound(gait_report):
    def unreliable(summary):
        summary["reliability"] = copy.deepcopy(NOT_RELIABLE)
        summary["drills"] = summary["drills"] or [{
            "id": "x", "name": "Hip flexor stretch", "finding": "f", "why": "w",
            "evidence": "e", "evidence_grade": "limited", "dosage": "d"}]

    tree = parse(render_html_report(with_summary(gait_report, unreliable)))
    banner = tree.one("section", id="reliability")
    assert "verdict-not_reliable" in banner["attrs"]["class"]
    assert "Not reliable" in banner["text"] and "4× slower" in banner["text"]
    assert "Use with care" in banner["text"]  # the lesser reason is listed too
    assert banner["text"].index("4× slower") < banner["text"].index("Only 5 left")
    summary = tree.one("section", id="summary")["text"]
    assert "±" not in summary and "not reliable" in summary
    for ident in ("card-cadence", "card-extension", "card-thigh-rom", "card-hip-rom"):
        assert "not reliable" in tree.one("div", id=ident)["text"]
    # no difference is called real or noise on figures that cannot be trusted
    for words in ("likely real difference", "possible difference", "within measurement noise",
                  "clearly different", "similar (<"):
        assert words not in summary, words
    assert "not judged: the figures are not reliable" in summary
    drills = tree.one("section", id="drills")
    assert "not based on sound numbers" in drills["text"]
    assert drills["text"].index("not based on sound numbers") < drills["text"].index(
        "Finding:")


def test_report_of_an_analysis_saved_before_the_verdict_still_gets_one(gait_report):
    # saved before the verdict existed: summary.json of version 1 (no schema_version),
    # brought up to date when it is opened, as the store does
    saved = {k: v for k, v in copy.deepcopy(gait_report.summary.as_json()).items()
             if k not in ("reliability", "schema_version")}
    opened = AnalysisSummary.from_json(upgrade_summary(
        saved, strides=gait_report.strides, events=gait_report.events,
        frames=gait_report.frames))
    tree = parse(render_html_report(dataclasses.replace(gait_report, summary=opened)))
    banner = tree.one("section", id="reliability")
    assert f"verdict-{gait_report.summary.reliability.verdict}" in banner["attrs"]["class"]


@pytest.mark.parametrize("treadmill, source, words", [
    (True, "detected from the video", "treadmill, or a camera moving with the runner "
                                      "(detected from the video: the runner stays in place"),
    (True, "entered by the user", "treadmill (entered by the user)"),
    (False, "detected from the video", "overground (detected from the video)"),
])
def test_the_setup_line_says_a_runner_in_place_may_be_a_travelling_camera(
        gait_report, treadmill, source, words):
    """A camera travelling with an overground runner (public beach and grass clips) keeps
    the runner in place like a treadmill: detected, the line names both."""
    report = with_summary(gait_report, lambda s: s.update(treadmill=treadmill,
                                                          treadmill_source=source))
    assert words in render_html_report(report)


def test_the_setup_line_names_the_one_shot_analysed(gait_report):
    report = with_summary(gait_report, lambda s: s.update(
        shot={"cut_times_s": [2.1, 6.8], "from_s": 2.1, "to_s": 6.8}))
    assert "only 2.1–6.8 s analysed: one shot of 3 (the clip has cuts)" in \
        render_html_report(report)


def test_cadence_and_left_minus_right_cards_read_as_the_apps(gait_report, page):
    """The report and the app format the same headline (gait.headline): the cadence card
    carries its verdict words, left − right its sign and its ±."""
    from gait.headline import headline
    from ui.text import headline_cards

    _, tree = page
    top = headline(gait_report.summary)
    app = {card.key: card for card in headline_cards(gait_report.summary)}
    cadence = tree.one("div", id="card-cadence")["text"]
    assert top.cadence.compared and top.cadence.words in cadence
    assert app["cadence"].words == top.cadence.words
    symmetry = tree.one("div", id="card-symmetry")["text"]
    assert app["symmetry"].value.replace(" ", "") in symmetry.replace(" ", "")
    assert f"{top.symmetry.difference_deg:+.1f}°" in symmetry and "±" in symmetry
