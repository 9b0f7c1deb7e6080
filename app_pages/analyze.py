"""Analyze (landing page): what HipDrive shows, how to film, upload or try the sample."""

from dataclasses import replace

import streamlit as st

from gait import pose_models
from gait.limits import MAX_CAPTURE_FPS, MAX_HEIGHT_M, MIN_CAPTURE_FPS, MIN_HEIGHT_M
from ui import saved, state
from ui.inputs import (
    CAMERA_CHOICES,
    SPEED_UNITS,
    TREADMILL_CHOICES,
    InputError,
    build_options,
    check_upload,
    default_pose_model,
)
from ui.sample import SAMPLE_NAME, SAMPLE_OPTIONS, sample_clip_path
from ui.service import VIDEO_SUFFIXES
from ui.share_panel import render_save_options
from ui.text import md_escape
from ui.widgets import (
    FILMING_GUIDE,
    OPTIONS_EXPANDER,
    ProgressDisplay,
    render_pending_notice,
    run_analysis,
)

st.title("HipDrive")
st.markdown(
    "See how far your thigh **drives back behind you** and swings through in front, stride "
    "by stride, from a side-view phone video — next to a speed-matched reference of "
    "experienced runners. Often the limit is **hip drive**, not glutes that \"don't fire\": "
    "HipDrive measures it, says how certain each number is, and suggests drills with their "
    "reasons.")

workshop = saved.joined_workshop()
workshop_id = workshop.id if workshop is not None and not workshop.closed else None
invited = saved.invite_is_valid() and workshop_id is None
if workshop_id is not None:
    st.info(f"**You are in the workshop “{md_escape(workshop.name)}”.** Film a friend "
            "from the side, upload the clip under a nickname, and watch the room's board. "
            "Results uploaded here are **saved** for the room's board (figures and pose "
            "landmarks, no video) until the host closes the workshop.", icon="🎓")
elif workshop is not None:
    st.warning("This workshop has ended and its results were deleted. You can still "
               "analyse a clip for yourself.")
elif invited:
    st.info("**You are uploading into your coach's squad.** Give your name below. Results "
            "uploaded here are **saved** (figures and pose landmarks, no video unless you "
            "tick it) and your coach sees them on the squad page.", icon="👥")
elif st.session_state.get(saved.INVITE_KEY):
    st.warning("This squad invite link is no longer valid: ask your coach for the new one. "
               "You can still analyse a clip and save it privately.")
elif (linked := saved.linked_athlete()) is not None:
    st.info(f"Saved analyses go into the history of **{md_escape(linked.name)}** (the "
            "history link this tab opened).", icon="📅")

render_pending_notice()
# the uploader before the guide: on a phone the open guide pushed it 1.3 screens down
uploaded = st.file_uploader(
    "Your running clip (side view)", type=[s.lstrip(".") for s in VIDEO_SUFFIXES],
    key="upload", help="From your phone's camera roll or a file. 10–20 s is plenty.")
with st.expander("How to film (1 minute)", expanded=not state.results()):
    st.markdown(FILMING_GUIDE)

with st.expander(OPTIONS_EXPANDER):
    left, right = st.columns(2)
    with left:
        speed_text = st.text_input("Treadmill speed or pace", key="speed",
                                   placeholder="e.g. 12 or 5:00",
                                   help="Makes the reference speed-matched; otherwise the "
                                        "speed is estimated from the video.")
        speed_unit = st.selectbox("Unit", SPEED_UNITS, key="speed_unit")
        surface = st.radio("Where did you run?", TREADMILL_CHOICES, key="surface")
        camera = st.radio(
            "Where was the phone?", tuple(CAMERA_CHOICES), key="camera_height",
            help="From near the floor HipDrive reads thigh angles 10–25° short (measured on "
                 "a real clip), so a low phone's thigh and knee angles are not compared "
                 "with the reference. It cannot yet tell this from the picture.")
    with right:
        height_cm = st.number_input("Body height (cm)", min_value=100 * MIN_HEIGHT_M,
                                    max_value=100 * MAX_HEIGHT_M, value=None, step=1.0,
                                    key="height_cm",
                                    help="Improves the speed estimate from the video.")
        capture_fps = st.number_input(
            "Capture rate of a slow-motion clip (fps)", min_value=MIN_CAPTURE_FPS,
            max_value=MAX_CAPTURE_FPS, value=None, step=1.0, key="capture_fps",
            help="Slow-motion clips are often stored at 30 fps; give the real rate "
                 "(e.g. 120 or 240).")
    heavy_ready = pose_models.is_installed("heavy")
    heavy = st.checkbox(
        "Closer thigh angles (heavy pose model)", key="heavy_pose",
        value=default_pose_model(heavy_installed=heavy_ready) == "heavy",
        disabled=not heavy_ready,
        help="BlazePose heavy, the default. Untick for the full model: about half the "
             "waiting, but on rendered runners with known angles its thigh-angle error was "
             "2.4° instead of 1.4°, and on a real runner 8° instead of 5° at toe-off. "
             + ("" if heavy_ready else "The heavy model is not installed on this server "
                                       "(scripts/setup.sh fetches it), so the full model "
                                       "is used."))
pose_model = "heavy" if heavy else "full"
if not heavy_ready:
    st.caption("⚠️ The heavy pose model is not installed on this server: clips are analysed "
               "with the faster, less exact full model (thigh angles ~1° further off on "
               "rendered runners). The host can run `bash scripts/setup.sh` to fetch it.")

name_required = invited or workshop_id is not None
with st.container(border=True, key="save_section"):  # never folded away: saving is a choice
    athlete = st.text_input(("Nickname" if workshop_id is not None else "Your name")
                            + (" (required)" if name_required else " (optional)"),
                            key="athlete", max_chars=80,
                            help="Shown on the report and in your history.")
    choices = render_save_options(athlete=athlete, squad=invited, workshop_id=workshop_id)

go_col, sample_col = st.columns(2)
analyze = go_col.button("Analyze my clip", type="primary", key="analyze",
                        disabled=uploaded is None, width="stretch")
sample = sample_col.button("Try the sample run", key="sample", width="stretch",
                           help="Analyses a built-in synthetic runner: results without filming.")
if workshop_id is not None:
    st.caption("Your clip is analysed on this server and deleted right after. The results "
               "are saved for the room's board until the host closes the workshop.")
elif invited:
    st.caption("Your clip is analysed on this server and deleted right after (unless you "
               "tick “keep my original video”). The results are saved into your coach's "
               "squad.")
else:
    st.caption("Your clip is analysed on this server and deleted right after (unless you "
               "save and tick “keep my original video”). Unsaved results stay in this "
               "browser tab only; their annotated video is deleted when you remove them or "
               "close the tab.")

result = None
if analyze and uploaded is not None:
    try:
        check_upload(uploaded.name, uploaded.size,
                     max_mb=float(st.get_option("server.maxUploadSize")))
        if invited and not athlete.strip():
            raise InputError("Give your name (above the “Analyze my clip” button) so your "
                             "coach can find your results.")
        if workshop_id is not None and not athlete.strip():
            raise InputError("Give a nickname (above the “Analyze my clip” button) for the "
                             "workshop board.")
        options = build_options(speed_text=speed_text, speed_unit=speed_unit, surface=surface,
                                height_cm=height_cm, capture_fps=capture_fps,
                                pose_model=pose_model, camera=camera)
    except InputError as exc:
        st.error(str(exc), icon="⚠️")
    else:  # spooled to disk by run_analysis, saved there if chosen (even if we leave)
        result = run_analysis(uploaded, options=options, file_name=uploaded.name,
                              athlete=athlete, save=choices)
        if result is not None and choices.save and result.saved is None:
            result = None  # saving failed (the message is shown): stay, results are kept
            st.page_link("app_pages/results.py", label="See the results (not saved)",
                         icon="📈")
elif sample:
    progress = ProgressDisplay()
    progress("sample", 0.0, None)
    result = run_analysis(sample_clip_path(),
                          options=replace(SAMPLE_OPTIONS, pose_model=pose_model),
                          file_name=SAMPLE_NAME,
                          is_sample=True, progress=progress)

if result is not None:
    st.switch_page("app_pages/results.py")
