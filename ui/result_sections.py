"""Sections of a result page (Streamlit): the headline cards, the verdict, drills,
quality notes and downloads."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gait.reliability import (
    CAPTURE_RATE_REASONS,
    CARE,
    NOT_RELIABLE,
    VERDICT_LABELS,
    verdict_headline,
)
from gait.result import AnalysisSummary
from gait.summary import Drill, Reliability
from ui import state
from ui.text import Card, cleaning_sentences, slug
from ui.widgets import CAPTURE_RATE_WHERE, video_being_made


def render_cards(cards: list[Card]) -> None:
    """Headline figures as metrics; columns stack on a phone."""
    columns = st.columns(len(cards))
    for column, card in zip(columns, cards, strict=True):
        with column, st.container(border=True, key=f"card_{card.key}"):
            st.metric(card.label, card.value, help=card.help or None)
            st.caption(card.detail)
            st.markdown(f":{card.colour}[{card.words}]")


def render_reliability(reliability: Reliability, *, key: str = "reliability") -> None:
    """The verdict first: green / amber / red with what it means and every reason."""
    verdict = reliability.verdict
    lines = [f"**{VERDICT_LABELS.get(verdict, verdict)}** — {verdict_headline(verdict)}"]
    lines += [f"- {r.message}" + (f" {CAPTURE_RATE_WHERE}" if r.id in CAPTURE_RATE_REASONS else "")
              for r in reliability.reasons]
    text = "\n".join(lines)
    with st.container(key=f"{key}_{verdict}"):
        if verdict == NOT_RELIABLE:
            st.error(text, icon="⛔")
        elif verdict == CARE:
            st.warning(text, icon="⚠️")
        else:
            st.success(text, icon="✅")


def render_drills(drills: tuple[Drill, ...], *, verdict: str | None = None) -> None:
    """Drill cards; behind a clear statement (and folded away) when the verdict is
    not_reliable, with a caveat when it is use_with_care."""
    if not drills:
        st.success("No drill is suggested: nothing stood out beyond measurement noise.")
        return
    if verdict == NOT_RELIABLE:
        st.error("**These drills are not based on sound numbers.** The analysis is not "
                 "reliable (see the top of the page), so the findings behind them cannot be "
                 "trusted. Do not act on them; film again and re-check.")
        with st.expander(f"Show the {len(drills)} suggestion(s) anyway", expanded=False):
            _drill_cards(drills)
        return
    if verdict == CARE:
        st.caption("Read these with the caveats at the top of the page.")
    _drill_cards(drills)


def _drill_cards(drills: tuple[Drill, ...]) -> None:
    columns = st.columns(2)
    for i, drill in enumerate(drills):
        with columns[i % 2], st.container(border=True, key=f"drill_{drill.id}"):
            st.markdown(f"**{drill.name}**")
            st.markdown(f"**Finding:** {drill.finding}")
            st.markdown(f"**Why:** {drill.why}")
            st.markdown(f"**Evidence** ({drill.evidence_grade}): {drill.evidence}")
            st.markdown(f"**Dose:** {drill.dosage}")


def render_quality(summary: AnalysisSummary) -> None:
    """Quality flags (warnings first) and what the cleaning repaired, in plain words."""
    if not summary.quality:
        st.success("No quality problem found.")
    for flag in sorted(summary.quality, key=lambda f: f.severity != "warning"):
        if flag.severity == "warning":
            st.warning(flag.message)
        else:
            st.info(flag.message)
    sentences = cleaning_sentences(summary)
    if sentences:
        st.caption("What was repaired: " + " ".join(sentences))


def render_downloads(result: state.SessionResult) -> None:
    """Strides CSV, summary JSON, HTML report and the annotated MP4."""
    from gait.outputs import STRIDES_CSV_COLUMNS
    from gait.report import render_html_report
    from gait.result import summary_json

    report = result.report
    name = slug(result.athlete or report.summary.clip_name)

    def html() -> bytes:
        return render_html_report(report, athlete=result.athlete).encode("utf-8")

    columns = st.columns(4)
    columns[0].download_button(
        "Strides (CSV)", report.strides.loc[:, list(STRIDES_CSV_COLUMNS)].to_csv(
            index=False, float_format="%.3f"), file_name=f"hipdrive_{name}_strides.csv",
        mime="text/csv", key="dl_csv")
    columns[1].download_button("Summary (JSON)", summary_json(report),
                               file_name=f"hipdrive_{name}_summary.json",
                               mime="application/json", key="dl_json")
    columns[2].download_button("Report (HTML)", html, file_name=f"hipdrive_{name}_report.html",
                               mime="text/html", key="dl_html")
    video = result.video_path
    if video is not None and Path(video).exists():
        columns[3].download_button("Annotated video (MP4)", Path(video).read_bytes,
                                   file_name=f"hipdrive_{name}_annotated.mp4",
                                   mime="video/mp4", key="dl_mp4")
    elif video_being_made(result.id):
        columns[3].caption("The annotated video is still being made (a few seconds).")
    else:
        columns[3].caption("No annotated video for this analysis.")
