"""Streamlit rendering helpers shared by the pages (progress, errors, cards, drills,
quality flags, downloads, the result picker)."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from gait.pipeline import AnalysisError, AnalysisOptions
from gait.reliability import CARE, NOT_RELIABLE, VERDICT_LABELS, verdict_headline
from gait.video import VideoError
from ui import state
from ui.service import analyze_clip, safe_suffix
from ui.text import Card, cleaning_sentences, progress_text, slug

logger = logging.getLogger(__name__)

FILMING_GUIDE = """
- **Side-on**: camera perpendicular to the running direction, **fixed** (tripod or propped
  up), at about **hip height**, the whole body in view and filling at least half the frame.
- **60 fps or more** (120–240 fps slow motion is better — then give the capture rate below).
- **10–20 s** of steady running, **at least 7 strides per leg**; on a treadmill after a few
  minutes of warm-up.
- Good light; shorts and shoes that contrast with the background.
"""
TABLE_ROW_PX = 35  # st.dataframe row height: tables shown whole use (rows + 1) × this + 3
FILMING_TIPS = ("How to film a clip that works: side-on, fixed camera at hip height, whole "
                "body in view, 60 fps or more, 10–20 s of steady running.")


class ProgressDisplay:
    """A progress bar fed by the engine's `progress(stage, fraction, eta_s)` callback."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")

    def __call__(self, stage: str, fraction: float, eta_s: float | None) -> None:
        value, text = progress_text(stage, fraction, eta_s)
        self.bar.progress(min(max(value, 0.0), 1.0), text=text)

    def clear(self) -> None:
        self.bar.empty()


def run_analysis(data: bytes, *, options: AnalysisOptions, file_name: str | None,
                 athlete: str | None = None, is_sample: bool = False,
                 progress: ProgressDisplay | None = None) -> state.SessionResult | None:
    """Analyse (or fetch from the cache), keep the result in this session and return it;
    on failure show the engine's message and what to do, and return None."""
    progress = progress or ProgressDisplay()
    try:
        analysis = analyze_clip(data, options=options, suffix=safe_suffix(file_name),
                                progress=progress)
    except (VideoError, AnalysisError) as exc:
        progress.clear()
        st.error(str(exc), icon="⚠️")
        st.info(FILMING_TIPS)
        return None
    except Exception:  # noqa: BLE001 — never show a traceback to a runner
        logger.exception("analysis failed")
        progress.clear()
        st.error("Sorry — something went wrong while analysing this clip. Try again, or "
                 "export a shorter H.264 MP4 (10–20 s) from your phone and upload that.",
                 icon="⚠️")
        return None
    progress.clear()
    result = state.make_result(analysis.report, video_path=analysis.video_path,
                               file_name=file_name, athlete=athlete, is_sample=is_sample)
    state.add_result(result)
    return result


def pick_result(label: str, *, key: str, default: state.SessionResult | None = None
                ) -> state.SessionResult | None:
    """A select box over this session's results (newest first)."""
    kept = list(reversed(state.results()))
    if not kept:
        return None
    ids = [r.id for r in kept]
    labels = {r.id: r.label for r in kept}
    if st.session_state.get(key) not in ids:
        st.session_state[key] = (default or kept[0]).id
    chosen = st.selectbox(label, ids, format_func=labels.get, key=key)
    return state.get_result(chosen)


def render_cards(cards: list[Card]) -> None:
    """Headline figures as metrics; columns stack on a phone."""
    columns = st.columns(len(cards))
    for column, card in zip(columns, cards, strict=True):
        with column, st.container(border=True, key=f"card_{card.key}"):
            st.metric(card.label, card.value, help=card.help or None)
            st.caption(card.detail)
            st.markdown(f":{card.colour}[{card.words}]")


def render_reliability(reliability: dict, *, key: str = "reliability") -> None:
    """The verdict first: green / amber / red with what it means and every reason."""
    verdict = reliability.get("verdict")
    reasons = reliability.get("reasons") or []
    lines = [f"**{VERDICT_LABELS.get(verdict, verdict)}** — {verdict_headline(verdict)}"]
    lines += [f"- {r.get('message')}" for r in reasons]
    text = "\n".join(lines)
    with st.container(key=f"{key}_{verdict}"):
        if verdict == NOT_RELIABLE:
            st.error(text, icon="⛔")
        elif verdict == CARE:
            st.warning(text, icon="⚠️")
        else:
            st.success(text, icon="✅")


def render_drills(drills: list[dict], *, verdict: str | None = None) -> None:
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


def _drill_cards(drills: list[dict]) -> None:
    columns = st.columns(2)
    for i, drill in enumerate(drills):
        with columns[i % 2], st.container(border=True, key=f"drill_{drill['id']}"):
            st.markdown(f"**{drill['name']}**")
            st.markdown(f"**Finding:** {drill['finding']}")
            st.markdown(f"**Why:** {drill['why']}")
            st.markdown(f"**Evidence** ({drill['evidence_grade']}): {drill['evidence']}")
            st.markdown(f"**Dose:** {drill['dosage']}")


def render_quality(summary: dict) -> None:
    """Quality flags (warnings first) and what the cleaning repaired, in plain words."""
    flags = summary.get("quality") or []
    if not flags:
        st.success("No quality problem found.")
    for flag in sorted(flags, key=lambda f: f.get("severity") != "warning"):
        if flag.get("severity") == "warning":
            st.warning(flag["message"])
        else:
            st.info(flag["message"])
    sentences = cleaning_sentences(summary)
    if sentences:
        st.caption("What was repaired: " + " ".join(sentences))


def render_downloads(result: state.SessionResult) -> None:
    """Strides CSV, summary JSON, HTML report and the annotated MP4."""
    from gait.outputs import STRIDES_CSV_COLUMNS, summary_json
    from gait.report import render_html_report

    report = result.report
    name = slug(result.athlete or (report.summary.get("video") or {}).get("file"))

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
    else:
        columns[3].caption("No annotated video for this analysis.")
