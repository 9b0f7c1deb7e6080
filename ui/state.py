"""Per-session results, kept only in `st.session_state`.

Each browser session holds its own list of `SessionResult`s (newest last, at most
MAX_RESULTS), so the Results and Compare pages can pick any of them and sessions
never see each other's analyses. A result holds a private copy of the summary with
the user's own file name and athlete name, which never enter the shared cache.

A result's unsaved annotated video lives in the session's own folder (see
`ui.service`) and is deleted as soon as the result leaves the session: removed by the
runner, deleted as a saved analysis, or dropped as the oldest beyond MAX_RESULTS.

An analysis in flight is the session's `Pending` record: it survives the runner
leaving the page, and whichever page looks first (Analyze or Results) attaches the
finished analysis to the session.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import streamlit as st

from gait.result import GaitReport
from gait.store import SavedAnalysis, SaveReceipt
from ui.jobs import Job
from ui.paths import discard_session_file

RESULTS_KEY = "hipdrive_results"
CURRENT_KEY = "hipdrive_current"
PENDING_KEY = "hipdrive_pending"
MAX_RESULTS = 8


@dataclass(frozen=True)
class SessionResult:
    """One analysis as this session sees it."""

    id: str
    label: str
    report: GaitReport
    video_path: Path | None
    athlete: str | None = None
    is_sample: bool = False
    created: datetime = dataclasses.field(default_factory=datetime.now)
    saved: SaveReceipt | None = None  # set once the analysis is in the database
    shared: bool = False  # opened from a share link: read-only


def make_result(report: GaitReport, *, video_path: Path | None, file_name: str | None,
                athlete: str | None = None, is_sample: bool = False) -> SessionResult:
    """A session's own copy of a (possibly shared, cached) report."""
    own = dataclasses.replace(report, summary=report.summary.with_clip_name(file_name))
    athlete = (athlete or "").strip() or None
    name = athlete or file_name or "clip"
    created = datetime.now()
    return SessionResult(id=uuid.uuid4().hex[:10], label=f"{name} · {created:%H:%M:%S}",
                         report=own, video_path=video_path, athlete=athlete,
                         is_sample=is_sample, created=created)


@dataclass(frozen=True)
class Pending:
    """An analysis this session started and has not collected yet. `save` (the
    Analyze page's SaveChoices, or None) is applied when it is collected; `raw_clip`
    is the spooled upload, kept only while "keep my original video" needs it. With
    `result_id`, the numbers are already that result and the annotated video is still
    being made."""

    job: Job
    file_name: str | None
    athlete: str | None = None
    is_sample: bool = False
    save: object | None = None
    raw_clip: Path | None = None
    result_id: str | None = None  # set once its numbers are shown: only the video is awaited


def from_saved(found: SavedAnalysis) -> SessionResult:
    """A saved analysis as a (read-only) session result."""
    return SessionResult(
        id=f"saved-{found.token[:12]}",
        label=" · ".join(filter(None, (found.athlete.name, str(found.recorded_on),
                                        found.note.strip()[:40]))),
        report=found.report, video_path=found.files.get("annotated_video"),
        athlete=found.athlete.name, shared=True,
        saved=SaveReceipt(token=found.token, athlete_token=found.athlete.token,
                          athlete_name=found.athlete.name, squad=found.athlete.in_squad))


def results() -> list[SessionResult]:
    """This session's results, oldest first."""
    return list(st.session_state.get(RESULTS_KEY, []))


def add_result(result: SessionResult) -> None:
    """Keep `result` (dropping the oldest beyond MAX_RESULTS, with its unsaved video)
    and make it current."""
    everything = [*results(), result]
    for dropped in everything[:-MAX_RESULTS]:
        discard_session_file(dropped.video_path)
    st.session_state[RESULTS_KEY] = everything[-MAX_RESULTS:]
    st.session_state[CURRENT_KEY] = result.id


def remove_result(result_id: str) -> None:
    """Forget a result and delete its unsaved annotated video now."""
    for gone in [r for r in results() if r.id == result_id]:
        discard_session_file(gone.video_path)
    st.session_state[RESULTS_KEY] = [r for r in results() if r.id != result_id]
    if st.session_state.get(CURRENT_KEY) == result_id:
        st.session_state.pop(CURRENT_KEY, None)


def pending() -> Pending | None:
    return st.session_state.get(PENDING_KEY)


def set_pending(record: Pending | None) -> None:
    if record is None:
        st.session_state.pop(PENDING_KEY, None)
    else:
        st.session_state[PENDING_KEY] = record


def replace_result(result: SessionResult) -> None:
    """Put an updated copy of a kept result (same id) in place."""
    st.session_state[RESULTS_KEY] = [result if r.id == result.id else r for r in results()]


def get_result(result_id: str | None) -> SessionResult | None:
    return next((r for r in results() if r.id == result_id), None)


def current() -> SessionResult | None:
    """The result last analysed or picked, else the newest."""
    found = get_result(st.session_state.get(CURRENT_KEY))
    kept = results()
    return found or (kept[-1] if kept else None)


def set_current(result_id: str) -> None:
    st.session_state[CURRENT_KEY] = result_id
