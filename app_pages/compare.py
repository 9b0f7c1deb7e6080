"""Compare: two analyses from this session overlaid, with the differences listed."""

import streamlit as st

from gait.reference import BANDS_TEXT, FAR_LEG_LOW_TEXT, NOISE_TEXT, reference_as_used
from gait.reliability import CARE, NOT_RELIABLE, VERDICT_LABELS
from ui import state
from ui.figures import PLOTLY_CONFIG, compare_cycle_chart, compare_stride_chart
from ui.sample import SAMPLE_NAME, SAMPLE_OPTIONS, sample_clip_path
from ui.text import (
    DASH,
    HIP_AXIS,
    HIP_MEASURES,
    NO_TRUNK_THIGH_REFERENCE,
    difference_rows,
    md_escape,
)
from ui.widgets import TABLE_ROW_PX, ProgressDisplay, pick_result, run_analysis

st.title("Compare two runs")
st.markdown("Overlay two analyses from this session — before and after a block of drills, "
            "one pass in each direction (each leg as the near leg), or you against the sample.")

kept = state.results()
if len(kept) < 2:
    st.info("Compare needs two analyses in this session; so far there "
            f"{'is one' if kept else 'are none'}. Analyse another clip, or add the sample run.")
    if st.button("Add the sample run", key="compare_sample"):
        progress = ProgressDisplay()
        progress("sample", 0.0, None)
        if run_analysis(sample_clip_path().read_bytes(), options=SAMPLE_OPTIONS,
                        file_name=SAMPLE_NAME, is_sample=True, progress=progress):
            st.rerun()
    st.page_link("app_pages/analyze.py", label="Go to Analyze", icon="🏃")
    st.stop()

LEGS = ("near", "left", "right")
col_a, col_b = st.columns(2)
with col_a:
    a = pick_result("A", key="compare_a", default=kept[-2])
    leg_a = st.radio("Leg of A", LEGS, horizontal=True, key="compare_leg_a")
with col_b:
    b = pick_result("B", key="compare_b", default=kept[-1])
    leg_b = st.radio("Leg of B", LEGS, horizontal=True, key="compare_leg_b")
sa, sb = a.report.summary, b.report.summary
side_a = sa.near_side if leg_a == "near" else leg_a
side_b = sb.near_side if leg_b == "near" else leg_b
label_a, label_b = f"A ({side_a} leg)", f"B ({side_b} leg)"

verdicts = {}
for tag, result in (("A", a), ("B", b)):  # the trust verdicts first
    rel = result.report.summary.reliability
    verdicts[tag] = rel.verdict
    first = rel.first_reason or ""
    text = f"**{tag} ({md_escape(result.label)}): {VERDICT_LABELS.get(verdicts[tag])}.** {first}"
    if verdicts[tag] == NOT_RELIABLE:
        st.error(text + " Its figures cannot be trusted, so no ± is given below.", icon="⛔")
    elif verdicts[tag] == CARE:
        st.warning(text, icon="⚠️")
sound = NOT_RELIABLE not in verdicts.values()

if a.id == b.id and side_a == side_b:
    st.warning("A and B are the same analysis and leg: pick another one to compare.")
notes = []
for tag, summary, side in (("A", sa, side_a), ("B", sb, side_b)):
    if side != summary.near_side:
        notes.append(f"{tag} shows the far ({side}) leg, which reads {FAR_LEG_LOW_TEXT} less "
                     "thigh extension than a near leg: compare near legs where you can.")
low = [tag for tag, summary in (("A", sa), ("B", sb)) if summary.options.camera_low]
if low:
    notes.append(f"{' and '.join(low)} {'were' if len(low) == 2 else 'was'} filmed with the "
                 "phone low (as entered): from there thigh and knee angles read 10–25° short, "
                 "so " + ("those angles of the two runs are not judged against each other "
                          "and no reference is drawn." if len(low) == 1 else "they are not "
                          "compared with the reference."))
ref_a, ref_b = sa.reference, sb.reference
other_speeds = bool(ref_a and ref_b
                    and abs(ref_a.speed_mps_used - ref_b.speed_mps_used) > 0.25)
if other_speeds:
    notes.append(f"The runs are at different speeds (reference {ref_a.speed_mps_used:.1f} vs "
                 f"{ref_b.speed_mps_used:.1f} m/s); angles change with speed, so no reference "
                 "is drawn: A's would not fit B. Each run's Results page compares it with its "
                 "own.")
for note in notes:
    st.info(note)

st.subheader("Differences (B − A)")
differences = difference_rows(sa, sb, side_a=side_a, side_b=side_b, sound=sound)
st.dataframe(differences, hide_index=True, key="compare_table", placeholder=DASH,
             height=TABLE_ROW_PX * (len(differences) + 1) + 3,
             column_config={"measure": st.column_config.TextColumn(pinned=True),
                            "meaning": st.column_config.TextColumn(width="large")})
st.caption(f"± = combined 95 % uncertainty of the two medians. Angle differences: "
           f"{BANDS_TEXT}. Signed angles keep their sign in B − A: thigh angles are + with "
           "the knee ahead of the hip (so at toe-off, − is behind it: a + difference there "
           "is less extension), the shank + with the ankle ahead of the knee, the trunk + "
           "leaning forward.")

measure = st.radio(
    "Hip measure", list(HIP_MEASURES), horizontal=True, key="compare_measure",
    format_func=lambda k: {"thigh": "Thigh vs vertical",
                           "trunk_thigh": "Trunk–thigh (2D hip, no reference)"}[k])
metric, part, measure_label = HIP_MEASURES[measure]
# A's, as it was compared then (none when either phone was low: those angles are not
# judged; none when the runs' speeds differ: A's reference would not fit B)
reference = None if low or other_speeds else reference_as_used(sa)
strides_a = a.report.strides[a.report.strides["side"] == side_a]
strides_b = b.report.strides[b.report.strides["side"] == side_b]
st.plotly_chart(compare_stride_chart(
    [(label_a, strides_a), (label_b, strides_b)], metric=metric, title=measure_label,
    y_title=HIP_AXIS[measure],
    reference_deg=(reference.values["peak_thigh_extension_deg"]
                   if reference and measure == "thigh" else None)),
    key="compare_strides", config=PLOTLY_CONFIG)
if measure != "thigh":
    st.caption(NO_TRUNK_THIGH_REFERENCE)
hip_col, knee_col = st.columns(2)
entries = [(label_a, a.report.frames, a.report.strides, side_a),
           (label_b, b.report.frames, b.report.strides, side_b)]
with hip_col:
    st.plotly_chart(compare_cycle_chart(
        entries, part=part,
        reference_curve=reference.thigh_curve_deg if reference and part == "thigh" else None),
        key="compare_cycle_hip", config=PLOTLY_CONFIG)
with knee_col:
    st.plotly_chart(compare_cycle_chart(
        entries, part="knee", reference_curve=reference.knee_curve_deg if reference else None),
        key="compare_cycle_knee", config=PLOTLY_CONFIG)
st.caption("Mean over strides (bold) ± one SD (shaded)"
           + (f"; dashed grey: A's speed-matched reference {NOISE_TEXT}." if reference
              else "; no reference is drawn (a phone was low, the runs' speeds differ, or "
                   "the speed is unknown)."))
