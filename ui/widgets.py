"""Streamlit helpers shared by the pages for running an analysis: progress, the job
collected when it is done (numbers first, the video after), errors, the result picker.
The sections of a result page are in ui.result_sections."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import BinaryIO

import streamlit as st

from gait.batch_ray import RayUnavailable
from gait.result import AnalysisError, AnalysisOptions, SlowMotionError
from gait.video import VideoError
from ui import service, state
from ui.jobs import Analysis, Job, JobCancelled, JobRefused
from ui.text import md_escape, progress_text

logger = logging.getLogger(__name__)

FILMING_GUIDE = """
- **Side-on**: camera perpendicular to the running direction, **fixed** (tripod or propped
  up), at about **hip height**, the whole body in view and filling at least half the frame,
  with **some ground below the feet** (feet cut by the edge cannot be timed). Not from the
  floor: on a clip filmed from floor level the thigh angles read 10–25° short (if you did,
  say so under *Where was the phone?* below: those angles are then not compared).
- **Level** the phone; a straight wall edge, door frame or pole in view lets HipDrive
  correct a slightly rolled camera.
- **60 fps or more** (120–240 fps slow motion is better — then give the capture rate below).
- **10–20 s** of steady running, **at least 7 strides per leg**, in **one take**; on a
  treadmill after a few minutes of warm-up. A clip edited from several shots is analysed
  on one shot only.
- **Good light**, from behind or beside the camera (in a dim, grainy picture some strides
  cannot be timed); shorts and shoes that contrast with the background.
"""
OPTIONS_EXPANDER = "Optional: speed, height, camera, slow motion, pose model"
CAPTURE_RATE_WHERE = (f"In HipDrive: **Analyze** → *{OPTIONS_EXPANDER}* → "
                      "*Capture rate of a slow-motion clip*.")
TABLE_ROW_PX = 35  # st.dataframe row height: tables shown whole use (rows + 1) × this + 3
POLL_S = 0.25  # how often a waiting page shows the job's progress
DISK_ERROR = ("Sorry — the server could not store your clip for the analysis (its disk may "
              "be full). Try again in a few minutes.")
FILMING_TIPS = ("How to film a clip that works: side-on, fixed camera at hip height, whole "
                "body in view with some ground below the feet, 60 fps or more, 10–20 s of "
                "steady running.")


class ProgressDisplay:
    """A progress bar fed by the engine's `progress(stage, fraction, eta_s)` callback."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")

    def __call__(self, stage: str, fraction: float, eta_s: float | None) -> None:
        value, text = progress_text(stage, fraction, eta_s)
        self.bar.progress(min(max(value, 0.0), 1.0), text=text)

    def clear(self) -> None:
        self.bar.empty()


def run_analysis(clip: bytes | BinaryIO | Path, *, options: AnalysisOptions,
                 file_name: str | None, athlete: str | None = None, is_sample: bool = False,
                 progress: ProgressDisplay | None = None, save: object | None = None
                 ) -> state.SessionResult | None:
    """Analyse `clip` (bytes or an uploaded file, spooled to disk; a Path: one of our
    own files such as the sample), keep the result in this session and return it; on
    failure or refusal show why and what to do, and return None.

    The job is recorded in the session first (`state.Pending`): if the runner leaves
    the page meanwhile, Results shows its progress and collects it. `save` (the
    Analyze page's SaveChoices) is applied once the result is in."""
    progress = progress or ProgressDisplay()
    _finish_earlier_video(progress)
    collect_pending(show_errors=False)  # a finished earlier run first, so it is not lost
    store = service.analysis_jobs()
    token = service.session_token(store)
    keep_raw = bool(getattr(save, "save", False) and getattr(save, "keep_raw", False))
    spool = None
    try:
        if isinstance(clip, Path):
            spool = service.spool_file(clip)
        else:
            spool = service.spool_upload(clip, service.session_dir(store, token),
                                         suffix=service.safe_suffix(file_name))
        started = service.start_analysis(spool, options=options, session=token,
                                         shared_video=is_sample, store=store)
    except JobRefused as exc:
        progress.clear()
        st.warning(str(exc), icon="⏳")
        _drop_spool(spool)
        return None
    except OSError:
        logger.exception("could not spool the upload")
        progress.clear()
        st.error(DISK_ERROR, icon="⚠️")
        _drop_spool(spool)
        return None
    raw_clip = spool.path if keep_raw and spool.owned else None
    if raw_clip is None:
        _drop_spool(spool)
    record = state.Pending(job=started if isinstance(started, Job) else None,
                           file_name=file_name, athlete=athlete, is_sample=is_sample,
                           save=save, raw_clip=raw_clip)
    if isinstance(started, Analysis):  # cached with everything needed (the sample)
        return _attach(record, started, token)
    state.set_pending(record)
    return wait_for_pending(progress)


def _finish_earlier_video(progress: ProgressDisplay) -> None:
    """The previous clip's numbers are shown but its video is still being made: a
    session runs one job at a time, so wait for it (seconds) rather than refuse."""
    record = state.pending()
    if record is None or record.result_id is None:
        return
    while not record.job.done:
        stage, fraction, eta_s = record.job.state
        value, text = progress_text(stage, fraction, eta_s)
        progress.bar.progress(min(max(value, 0.0), 1.0),
                              text=f"First finishing your previous clip's video · {text}")
        time.sleep(POLL_S)
    progress.clear()


def _drop_spool(spool) -> None:
    if spool is not None and spool.owned:
        spool.path.unlink(missing_ok=True)


def wait_for_pending(progress: ProgressDisplay | None = None) -> state.SessionResult | None:
    """Show this session's analysis in flight until it ends, then collect it (None if
    there is none or it failed — then its message is shown). Streamlit stops this
    loop when the runner opens another page; the job goes on."""
    record = state.pending()
    if record is None:
        return None
    progress = progress or ProgressDisplay()
    while not numbers_ready(record):
        progress(*record.job.state)
        time.sleep(POLL_S)
    progress.clear()
    return collect_pending()


def numbers_ready(record: state.Pending) -> bool:
    """Whether `record` has something to collect: its job ended, or its numbers exist
    while the annotated video is still being made (unless the save keeps that video:
    then the whole job is awaited)."""
    if record.job.done:
        return True
    if record.result_id is not None:
        return False  # the numbers are shown already; only the video is awaited
    keeps_video = bool(getattr(record.save, "save", False)
                       and getattr(record.save, "keep_annotated", False))
    return record.job.numbers.report is not None and not keeps_video


def video_being_made(result_id: str) -> bool:
    """Whether this session's result `result_id` still waits for its annotated video."""
    record = state.pending()
    return record is not None and record.result_id == result_id and not record.job.done


def video_in_making(result_id: str) -> bool:
    """On a result's page: when its annotated video is still being made, show how far
    it is (the page reruns, and collects the video, once it is made) and say True."""
    if not video_being_made(result_id):
        return False
    _video_progress()
    return True


@st.fragment(run_every=1.0)
def _video_progress() -> None:
    record = state.pending()
    if record is None or record.job.done:
        st.rerun()  # the whole page: it collects the video
    value, text = progress_text(*record.job.state)
    st.progress(min(max(value, 0.0), 1.0), text=text)  # "Drawing the annotated video · …"
    st.caption("The numbers are ready; the video follows in a moment.")


def collect_pending(*, show_errors: bool = True) -> state.SessionResult | None:
    """Attach this session's analysis to the session once its numbers are ready and
    return the new result; attach its annotated video once that is made (returning
    None: no new result). Show why it failed (if `show_errors`). None while it runs."""
    record = state.pending()
    if record is None or not numbers_ready(record):
        return None
    if record.result_id is not None:
        state.set_pending(None)
        _attach_video(record)
        return None
    job = record.job
    if not job.done:  # the numbers first; the same record then waits for the video
        result = _attach(record, Analysis(job.key, job.numbers.report, None),
                         service.session_token(), claim=False)
        state.set_pending(dataclasses.replace(record, result_id=result.id, save=None,
                                              raw_clip=None))
        return result
    state.set_pending(None)
    try:
        analysis = job.future.result()
    except Exception as exc:  # noqa: BLE001 — shown as a message, never as a traceback
        if record.raw_clip is not None:
            record.raw_clip.unlink(missing_ok=True)
        if show_errors:
            _show_failure(exc, record.file_name)
        return None
    return _attach(record, analysis, service.session_token())


def _attach(record: state.Pending, analysis: Analysis, token: str, *,
            claim: bool = True) -> state.SessionResult | None:
    """`analysis` as this session's new result, saved if the record asks; `claim`
    False: its video is collected later (`_attach_video`)."""
    result = state.make_result(analysis.report, video_path=None, file_name=record.file_name,
                               athlete=record.athlete, is_sample=record.is_sample)
    video = analysis.video_path
    if record.job is not None and claim:
        store = service.analysis_jobs()
        video = store.claim_video(record.job, token,
                                  service.session_dir(store, token) / f"{result.id}.mp4")
    result = dataclasses.replace(result, video_path=video)
    state.add_result(result)
    choices = record.save
    if choices is not None and getattr(choices, "save", False):
        from ui.share_panel import save_result

        try:
            clip_bytes = record.raw_clip.read_bytes() if record.raw_clip else None
            result = save_result(result, choices, clip_bytes=clip_bytes,
                                 file_name=record.file_name) or result
        finally:
            if record.raw_clip is not None:
                record.raw_clip.unlink(missing_ok=True)
    return result


def _attach_video(record: state.Pending) -> None:
    """The finished job's annotated video onto the result its numbers became (if the
    runner still keeps that result; a video that failed leaves the result without)."""
    store = service.analysis_jobs()
    token = service.session_token(store)
    own_copy = service.session_dir(store, token) / f"{record.result_id}.mp4"
    try:
        video = store.claim_video(record.job, token, own_copy)
    except Exception:  # noqa: BLE001 — the numbers stand; the video is only missing
        logger.exception("annotated video of job %s not collected", record.job.key[:12])
        return
    result = state.get_result(record.result_id)
    if result is None:  # removed meanwhile: this session's own copy goes too (a shared
        if video == own_copy:  # video, such as the sample's, is not this session's)
            own_copy.unlink(missing_ok=True)
        return
    state.replace_result(dataclasses.replace(result, video_path=video))


def _show_failure(exc: BaseException, file_name: str | None) -> None:
    about = f" ({md_escape(file_name)})" if file_name else ""
    if isinstance(exc, JobCancelled):
        st.error(f"{exc}{about}", icon="⏱️")
    elif isinstance(exc, RayUnavailable):
        logger.error("analysis cluster unavailable: %s", exc)
        st.error("The analysis workers of this server cannot be reached right now. Try "
                 "again in a few minutes; if it keeps happening, tell the person who runs "
                 "this HipDrive (the reason is in the server log).", icon="⚠️")
    elif isinstance(exc, VideoError | AnalysisError):
        where = f" {CAPTURE_RATE_WHERE}" if isinstance(exc, SlowMotionError) else ""
        st.error(f"{exc}{where}", icon="⚠️")
        st.info(FILMING_TIPS)
    else:
        logger.error("analysis failed", exc_info=exc)
        st.error("Sorry — something went wrong while analysing this clip. Try again, or "
                 "export a shorter H.264 MP4 (10–20 s) from your phone and upload that.",
                 icon="⚠️")


def render_pending_notice() -> None:
    """On Analyze: collect an earlier clip that finished while the runner was away, or
    say that it is still being analysed (and where to watch)."""
    record = state.pending()
    if record is None:
        return
    if record.result_id is not None and not record.job.done:
        st.caption("The annotated video of your last clip is still being made (see Results).")
    elif not numbers_ready(record):
        st.info("Your previous clip is still being analysed: see its progress on Results.",
                icon="⏳")
        st.page_link("app_pages/results.py", label="Go to Results", icon="📈")
    elif collect_pending() is not None:
        st.success("Your previous clip is analysed.", icon="✅")
        st.page_link("app_pages/results.py", label="See the results", icon="📈")


KEPT_IN_THIS_TAB = (f"This tab keeps your last {state.MAX_RESULTS} analyses; an older one "
                    "is dropped (with its unsaved video) when a newer one arrives. Save one "
                    "to keep it.")


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
    chosen = st.selectbox(label, ids, format_func=labels.get, key=key,
                          help=KEPT_IN_THIS_TAB)
    return state.get_result(chosen)
