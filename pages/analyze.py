"""Analyze (landing page): what HipDrive shows, how to film, upload or try the sample."""

import streamlit as st

from ui import state
from ui.inputs import SPEED_UNITS, TREADMILL_CHOICES, InputError, build_options
from ui.sample import SAMPLE_NAME, SAMPLE_OPTIONS, sample_clip_path
from ui.service import VIDEO_SUFFIXES
from ui.widgets import FILMING_GUIDE, ProgressDisplay, run_analysis

st.title("HipDrive")
st.markdown(
    "See how far your thigh **drives back behind you** and swings through in front, stride "
    "by stride, from a side-view phone video — next to a speed-matched reference of "
    "experienced runners. Often the limit is **hip drive**, not glutes that \"don't fire\": "
    "HipDrive measures it, says how certain each number is, and suggests drills with their "
    "reasons.")

with st.expander("How to film (1 minute)", expanded=not state.results()):
    st.markdown(FILMING_GUIDE)

uploaded = st.file_uploader(
    "Your running clip (side view)", type=[s.lstrip(".") for s in VIDEO_SUFFIXES],
    key="upload", help="From your phone's camera roll or a file. 10–20 s is plenty.")

with st.expander("Optional: speed, height, slow motion, name"):
    left, right = st.columns(2)
    with left:
        speed_text = st.text_input("Treadmill speed or pace", key="speed",
                                   placeholder="e.g. 12 or 5:00",
                                   help="Makes the reference speed-matched; otherwise the "
                                        "speed is estimated from the video.")
        speed_unit = st.selectbox("Unit", SPEED_UNITS, key="speed_unit")
        surface = st.radio("Where", TREADMILL_CHOICES, key="surface")
    with right:
        height_cm = st.number_input("Body height (cm)", min_value=100.0, max_value=250.0,
                                    value=None, step=1.0, key="height_cm",
                                    help="Improves the speed estimate from the video.")
        capture_fps = st.number_input(
            "Capture rate of a slow-motion clip (fps)", min_value=15.0, max_value=1000.0,
            value=None, step=1.0, key="capture_fps",
            help="Slow-motion clips are often stored at 30 fps; give the real rate "
                 "(e.g. 120 or 240).")
        athlete = st.text_input("Name (shown on the report)", key="athlete", max_chars=80)

go_col, sample_col = st.columns(2)
analyze = go_col.button("Analyze my clip", type="primary", key="analyze",
                        disabled=uploaded is None, width="stretch")
sample = sample_col.button("Try the sample run", key="sample", width="stretch",
                           help="Analyses a built-in synthetic runner: results without filming.")
st.caption("Your clip is analysed on this server and deleted right after; your results "
           "stay in this browser tab only.")

result = None
if analyze and uploaded is not None:
    try:
        options = build_options(speed_text=speed_text, speed_unit=speed_unit, surface=surface,
                                height_cm=height_cm, capture_fps=capture_fps)
    except InputError as exc:
        st.error(str(exc), icon="⚠️")
    else:
        result = run_analysis(uploaded.getvalue(), options=options, file_name=uploaded.name,
                              athlete=athlete)
elif sample:
    progress = ProgressDisplay()
    progress("sample", 0.0, None)
    clip = sample_clip_path()
    result = run_analysis(clip.read_bytes(), options=SAMPLE_OPTIONS, file_name=SAMPLE_NAME,
                          is_sample=True, progress=progress)

if result is not None:
    st.switch_page("pages/results.py")
