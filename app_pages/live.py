"""Live (presenter): the laptop's camera with the skeleton drawn live, the near leg's
thigh angle scrolling, and figures that update as strides happen — from the
incremental engine (gait.live), the same code as a full analysis. "Record the last
15 s" turns what the camera saw into a normal full analysis. Offline: no ICE servers
(the camera and the app are on the same machine)."""

import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st

from gait.live import LIVE_POSE_MODEL
from gait.live_camera import LiveCamera
from gait.reference import noise_band_text
from ui import saved
from ui.figures import PLOTLY_CONFIG
from ui.inputs import SPEED_UNITS, TREADMILL_CHOICES, InputError, build_options
from ui.live_figures import thigh_trace
from ui.live_slots import live_needs_passcode, live_slots, max_live_sessions
from ui.share_panel import SaveChoices, save_result
from ui.text import num
from ui.widgets import run_analysis

CAMERA_KEY = "hipdrive_live_camera"
RECORD_NEEDS_CAMERA = "Start the camera first (the “Start the camera” button below)."
REFRESH_S = 1.0  # each refresh runs the engine on 15 s: ~60 ms of the camera's CPU
BIG_TYPE = """<style>
[data-testid="stMetricValue"] { font-size: 4rem; line-height: 1.1; }
[data-testid="stMetricLabel"] p { font-size: 1.4rem; }
</style>"""

st.title("Live")
if live_needs_passcode() and not saved.is_coach():
    st.info("On this server the live camera is for the coach: enter the coach passcode. "
            "Runners can upload a clip on the Analyze page.", icon="🔒")
    if saved.coach_passcode() is None:
        st.warning("No usable coach passcode is set on this server (HIPDRIVE_COACH_PASSCODE, "
                   "at least 8 characters), so Live stays closed.")
    else:
        saved.render_coach_login("live_login", input_key="live_passcode")
    st.stop()

slots = live_slots()
own_camera = st.session_state.get(CAMERA_KEY)
own_streaming = own_camera is not None and own_camera.is_streaming()
if not own_streaming and slots.streaming_elsewhere(own_camera) >= max_live_sessions():
    st.warning(f"**The live camera is busy:** this server runs at most "
               f"{max_live_sessions()} live camera(s) at a time and they are all in use. Try "
               "again in a minute, or upload a clip on the Analyze page.", icon="⏳")
    st.stop()

url = urlparse(st.context.url or "")
camera_allowed = url.scheme == "https" or url.hostname in ("localhost", "127.0.0.1", "::1")
if not camera_allowed:
    st.warning(
        f"**The camera cannot start here.** Browsers give a page the camera only on "
        f"`localhost` or over HTTPS, and this page was opened as `{url.scheme}://"
        f"{url.hostname}`. On the presenter's laptop open "
        f"http://localhost:{url.port or 8501}/live "
        "instead (no internet needed), or serve HipDrive over HTTPS. Meanwhile the room "
        "can film with their phones and upload: start a **Workshop** and show its QR code.",
        icon="📷")
    st.page_link("app_pages/workshop.py", label="Start a workshop board", icon="🎓")
    st.stop()

with st.expander("Treadmill speed (for the speed-matched reference)", expanded=False):
    left, right = st.columns(2)
    speed_text = left.text_input("Speed or pace", key="live_speed", placeholder="e.g. 12")
    speed_unit = right.selectbox("Unit", SPEED_UNITS, key="live_speed_unit")
try:
    options = build_options(speed_text=speed_text, speed_unit=speed_unit,
                            surface=TREADMILL_CHOICES[0],  # detected: nobody was asked
                            height_cm=None, capture_fps=None, pose_model=LIVE_POSE_MODEL)
except InputError as exc:
    st.error(str(exc), icon="⚠️")
    st.stop()

camera = st.session_state.get(CAMERA_KEY)
if camera is None or camera.options != options:
    if camera is not None:
        camera.close()
    camera = st.session_state[CAMERA_KEY] = LiveCamera(options=options)
slots.register(camera)

from streamlit_webrtc import WebRtcMode, webrtc_streamer  # noqa: E402 — logs on import

st.markdown(BIG_TYPE, unsafe_allow_html=True)  # our own CSS, no user text
# Half the width for the camera: at 3/5 of a 1920 px projector the 4:3 picture pushed its
# own Stop button and the Record button below the fold. The Record button sits above the
# picture (a slot filled after the camera is set up), where no picture size can push it
# off a 1080 px projector.
video_col, figures_col = st.columns(2)
with video_col:
    record_slot = st.container()
    context = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": []},
        media_stream_constraints={"video": {"width": {"ideal": 640},
                                            "height": {"ideal": 480},
                                            "frameRate": {"ideal": 30}}, "audio": False},
        video_frame_callback=camera.callback, async_processing=True,
        translations={"start": "Start the camera", "stop": "Stop"})
    st.caption("Side-on, the whole body in view, a runner on a treadmill or jogging "
               "across the room. Left leg orange, right leg blue; the near leg bright.")
    # Disabled until the browser's stream plays. Its state is known here: every change
    # (start, playing, stop) is a component value, which reruns the whole page, not only
    # the figures fragment, so the button follows it.
    playing = context.state.playing
    if record_slot.button("Record the last 15 s and analyse them", type="primary",
                          key="live_record", disabled=not playing,
                          help=None if playing else RECORD_NEEDS_CAMERA):
        with tempfile.TemporaryDirectory(prefix="hipdrive-live-") as tmp:
            clip = camera.write_recording(Path(tmp) / "live.mp4")
            data = clip.read_bytes() if clip else None
        if data is None:  # playing, but no camera frame has reached the server yet
            st.error("Nothing recorded yet: the camera has only just started. Try again "
                     "in a few seconds.", icon="⚠️")
        else:
            # recorded by this camera in real time: its uneven frame times are not slow motion
            result = run_analysis(data, options=replace(options, real_time=True),
                                  file_name="live recording.mp4")
            if result is not None:
                save_result(result, SaveChoices(
                    save=True, athlete="", note="live recording", recorded_on=date.today(),
                    keep_raw=False, keep_annotated=False, squad=False))
                st.switch_page("app_pages/results.py")


def reference_caption(reference_values: dict, metric: str) -> str:
    """Under a live card: the reference and its noise band, or why there is none."""
    value = reference_values.get(metric)
    if value is None:
        return "last stride · no reference yet: it is speed-matched once strides are found"
    return f"last stride · reference {num(value)}° {noise_band_text(metric)}"


@st.fragment(run_every=REFRESH_S)
def live_figures() -> None:
    figures = camera.figures()
    stats = camera.stats()
    ref = figures.reference.values if figures.reference else {}
    last = figures.last_stride or {}
    a, b = st.columns(2)
    a.metric("Strides", f"{figures.n_strides}")
    b.metric("Cadence, steps/min", num(figures.cadence_spm, 0),
             help="Over the strides of the last 15 s.")
    c, d = st.columns(2)
    c.metric("Peak extension", num(last.get("peak_thigh_extension_deg")) +
             ("°" if last else ""),
             help="Last stride: degrees the near thigh goes behind vertical (2D, not lab "
                  "hip extension).")
    c.caption(reference_caption(ref, "peak_thigh_extension_deg"))
    d.metric("Thigh range", num(last.get("thigh_rom_deg")) + ("°" if last else ""),
             help="Last stride: the near thigh's range of motion (front to back).")
    d.caption(reference_caption(ref, "thigh_rom_deg"))
    if figures.message:
        st.info(figures.message)
    st.plotly_chart(thigh_trace(figures.trace, near_side=figures.near_side,
                                reference_values=ref), key="live_trace",
                    config=PLOTLY_CONFIG)
    rate = f"{stats['fps']:.0f} frames/s" if stats["fps"] else "–"
    latency = (f"{stats['latency_ms_median']:.0f} ms (95 %: {stats['latency_ms_p95']:.0f})"
               if stats["latency_ms_median"] else "–")
    levelled = (f" Angles against the true vertical: the camera's picture leans "
                f"{abs(figures.levelled_by_deg):.1f}° (straight edges behind the runner)."
                if figures.levelled_by_deg and abs(figures.levelled_by_deg) >= 0.5 else "")
    st.caption(f"Processed {rate}; camera frame → skeleton {latency}; "
               f"{stats['recorded_s']:.0f} s ready to record. Figures from strides that "
               "are complete (1–2 s after they end)." + levelled)


with figures_col:
    live_figures()

st.caption("Recording keeps the last 15 s in this server's memory only; the analysis is "
           "saved like an upload (share link, no video kept). "
           + ("Camera running." if context.state.playing else ""))
