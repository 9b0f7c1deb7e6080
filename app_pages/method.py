"""Method: what each number means, what a 2D video can and cannot measure, the
reference data and its attribution, measured accuracy, limits."""

from pathlib import Path

import streamlit as st

from gait import reliability as rel
from gait.metric_catalogue import CATALOGUE
from gait.reference import (
    ATTRIBUTION,
    ELITE_MARKERS,
    EXTENSION_POSE_BIAS_DEG,
    FAR_LEG_LOW_TEXT,
    LIKELY_DEG,
    MIN_STRIDES_TO_COMPARE,
    NOISE_DEG,
    REFERENCE_SPEEDS_MPS,
)
from gait.slow_motion import SLOW_MOTION_STRIDE_S
from ui.paths import REPO_DIR
from ui.text import ACCURACY_IN_SHORT, accuracy_markdown, document_markdown

st.title("Method")
st.markdown(
    "HipDrive finds 33 body landmarks in every frame with the BlazePose model (MediaPipe, run "
    "on this server; *heavy* by default, *full* when unticked under \"Optional\" and in live "
    "mode: about half the time, less exact thigh angles), cleans them (left/right swap "
    "repair, gap filling, 8 Hz low-pass; feet "
    "outside the picture are not used: the model only guesses them), finds each foot strike "
    "and toe-off, cuts the run into strides (foot strike to the next foot "
    "strike of the same leg) and measures angles in the image plane.")

st.header("What is measured")
st.markdown(
    "All angles are **2D**, in the plane of the picture, from one side view. **A 2D thigh "
    "angle is not lab \"hip extension\"** (femur relative to the pelvis): the pelvis tilt is "
    "invisible from the side, and at peak extension an uncorrected thigh angle overstates "
    "pelvis-relative hip extension by about 13–16°. So each angle is reported under its own "
    "name: *thigh* (against vertical) and *trunk–thigh* (against the shoulder→hip line).")
st.markdown(
    "**Vertical** means the true vertical where the picture shows it: straight vertical edges "
    "behind the runner (walls, door frames, poles) are found on a few frames, and when they "
    "agree that the camera was rolled or tilted, thigh, shank and trunk angles are measured "
    "against them at the runner's position (the quality notes say by how much, from 0.5°). "
    "On rendered clips the roll was found within 0.15°; on a real clip with converging edges "
    "it is uncertain by about 0.3°. Without such edges the picture's own vertical is used: "
    "level the phone.")
st.markdown("\n".join(f"- **{m.name}** ({m.unit}): {m.definition}" for m in CATALOGUE))
st.markdown(
    "A video **cannot** measure muscle activity (\"glute activation\"), forces, pelvic tilt or "
    "rotation, or anything out of the picture plane. The near (camera-side) leg is measured "
    "best; the far leg is partly hidden behind it.")

st.header("Reference data")
st.markdown(
    f"Speed-matched curves of 28 experienced runners on a treadmill at "
    f"{', '.join(f'{s:g}' for s in REFERENCE_SPEEDS_MPS)} m/s, interpolated linearly to your "
    "speed and never extrapolated (outside that range the nearest speed is used and the "
    "results say so). Only thigh and knee angles have a reference; **no reference exists for "
    "the trunk–thigh angle**.")
st.markdown(
    "**Your speed** picks the reference. Unless you enter it, it is read off the video: "
    "where the runner stays in place in the picture (a treadmill, or a camera moving with "
    "the runner), from the ground's speed under the foot in contact; where the runner "
    "crosses the picture, from the hips' travel; both scaled by your body height (1.75 m "
    "unless entered). Failing that, it is guessed from your cadence (rough), and the "
    "cadence is then not compared.")
st.markdown(f"> {ATTRIBUTION}")
st.markdown("Licence: **CC BY 4.0** (Creative Commons Attribution 4.0 International); the "
            "curves are used as published, averaged over runners.")
st.markdown(
    f"**How differences are read.** Markerless 2D pose estimation is off by 4–16° at the hip "
    f"and knee in published comparisons, so a difference from the reference below "
    f"{NOISE_DEG:.0f}° is called *within measurement noise*, {NOISE_DEG:.0f}–{LIKELY_DEG:.0f}° "
    f"a *possible* difference and over {LIKELY_DEG:.0f}° *likely real*. Each median comes "
    "with a 95 % interval over strides. Times and cadence are compared in per cent (under 5 % "
    "similar, over 10 % clearly different), but never called different while the reference "
    "lies within their own 95 % interval. A leg (or the cadence) is compared only from at "
    f"least {MIN_STRIDES_TO_COMPARE} strides. Left − right is judged after allowing for the "
    f"far leg reading {FAR_LEG_LOW_TEXT} low.")
st.markdown(
    "**Extension reads short on real runners.** The reference comes from markers on the real "
    "hip joint and knee. On real clips, two people who placed the hip joint centre, knee and "
    "ankle by eye (independently, each first checked on rendered frames with known angles) "
    "found the pose model's near thigh at toe-off less extended than theirs: with the "
    "default heavy model by 5–6° on a runner in loose shorts (two more markers found 1–3°, "
    "and the four differed from each other by ~7°: under loose shorts the hip joint is a "
    f"guess for people too); with the full model by ~{EXTENSION_POSE_BIAS_DEG:.0f}° there "
    "(it put the knee at the hem of the shorts and the hip near the waistband; 3–16° on "
    "three clips measured earlier); about 1–3° on a runner in tight shorts. That varies "
    "from clip to clip and could not be corrected "
    "reliably, so when your peak thigh extension is *below* the reference, the noise band is "
    f"widened by {EXTENSION_POSE_BIAS_DEG:.0f}° (noise under "
    f"{NOISE_DEG + EXTENSION_POSE_BIAS_DEG:.0f}°) and extension drills are only suggested "
    "beyond it: \"less extension than the reference\" may be the pose model, not you. "
    "From a phone near the floor it read far shorter still (19° at toe-off, 14° at peak "
    "flexion, against four calibrated passes on one real clip), and HipDrive cannot yet tell "
    "such a camera from the picture: when you say the phone was low (*Where was the "
    "phone?*), the thigh and knee angles are shown but not compared with the reference.")
st.markdown("**Elite markers** (from the literature, shown for context):")
for marker in ELITE_MARKERS:
    st.markdown(f"- {marker.text} ({marker.source})")

st.header("How far to trust an analysis")
st.markdown(
    "Every analysis gets a verdict, shown first: **reliable**, **use with care** or **not "
    "reliable**, with the reasons. It checks how many of the strides in view were found "
    f"(under {100 * rel.YIELD_CARE_FRACTION:.0f} %: care), whether strides vary far more than "
    f"steady running does (stride time CV ~2–4 %, peak thigh angle SD ~2–3°, contact time CV "
    f"~5–8 %; more than {rel.VARIABILITY_CARE_FACTOR:.0f}× that, allowing for the frame rate: "
    "care), whether contact times and duty factor look like running, whether the feet "
    f"alternate, whether there are {rel.MIN_STRIDES_PER_LEG} strides per leg, and whether the "
    f"clip looks slowed down (over {SLOW_MOTION_STRIDE_S:.1f} s per stride). A slowed clip "
    "without its real capture rate is **not reliable**. When the verdict is *not reliable* no "
    "± interval is shown and the drills are marked as not based on sound numbers.")

st.header("Measured accuracy")
st.markdown(ACCURACY_IN_SHORT)
INSTALLED_DOCS = Path(__file__).resolve().parents[1] / "ui"  # the wheel's copies
accuracy = accuracy_markdown(REPO_DIR / "README.md" if (REPO_DIR / "README.md").exists()
                             else INSTALLED_DOCS / "README.md")
record = document_markdown(REPO_DIR / "docs" / "accuracy.md"
                           if (REPO_DIR / "docs" / "accuracy.md").exists()
                           else INSTALLED_DOCS / "accuracy.md")
if accuracy:
    with st.expander("Target by target, with the figures measured (from the README)"):
        st.markdown(accuracy)
else:
    st.info("The accuracy table is not in this copy of the README yet; "
            "`scripts/accuracy.py` measures it on synthetic clips with known truth.")
if record:
    with st.expander("Every measurement, clip by clip (docs/accuracy.md)"):
        st.markdown(record)

st.header("Limits")
st.markdown(f"""
- **One side view.** The far leg is seen through the near one: on clips with known truth it
  read {FAR_LEG_LOW_TEXT} less thigh extension than the near leg. To compare your legs, film one
  pass in each direction and compare each leg while it is the near leg (Compare page).
- **Camera.** A panning or hand-held camera, or one filmed at an angle, distorts 2D angles;
  keep it fixed, side-on, at hip height. A runner filmed from the front or back (the
  shoulders over 0.3 leg lengths apart, where from the side they nearly overlap) is refused
  with what to do.
- **One shot.** A clip edited from several shots (hard cuts, found from the pictures) is
  analysed on the shot with the runner longest in view only, and the result (and the
  annotated video) says which:
  strides cannot be followed across a cut, and the shots may differ in pace.
- **Pose model error.** BlazePose can mix up the legs where they cross (repaired, and reported)
  and is less sure in poor light, with baggy clothing or a small runner in the frame.
- **Treadmill vs overground.** The reference was recorded on a treadmill; overground running
  at the same speed is similar but not identical.
- **Frame rate.** At 30 fps a ground contact is only about 7 frames: contact times and events
  are coarse. 60 fps or more is better.
- **Not a diagnosis.** The drills are suggestions with their evidence grade, not treatment.
""")

st.header("Privacy")
st.markdown(
    "Your clip is analysed on this server and deleted right after the analysis. The "
    "annotated video (your own frames) is never shared between visitors: it lives in a "
    "folder of this browser tab and is deleted when you remove the analysis or close the "
    "tab. Your results live in this browser tab's session only, unless you save "
    "them (the save box, a squad invite or a workshop, which always saves): saved "
    "results are kept in this server's database until deleted with their delete link, "
    "or with the workshop when its host closes it. Nothing is sent anywhere else, and "
    "the app loads nothing from the internet.")
