"""The results of one analysis (the Results page and a shared link show the same view):
headline figures, stride-by-stride and gait-cycle charts against the reference, the
annotated video with jump-to-stride, drills, quality, strides and downloads."""

import math
from pathlib import Path

import streamlit as st

from gait.level import LEVELLED_NOTE_DEG
from gait.reference import (
    EXTENSION_POSE_BIAS_DEG,
    LIKELY_DEG,
    LOW_CAMERA_NOT_COMPARED,
    NOISE_DEG,
    NOISE_TEXT,
    noise_band_text,
    reference_as_used,
)
from gait.reliability import NOT_RELIABLE
from ui.figures import PLOTLY_CONFIG, cycle_chart, stride_chart
from ui.result_sections import (
    render_cards,
    render_downloads,
    render_drills,
    render_quality,
    render_reliability,
)
from ui.sample import SAMPLE_NOTE
from ui.state import SessionResult
from ui.text import (
    DASH,
    HIP_AXIS,
    HIP_MEASURES,
    NO_TRUNK_THIGH_REFERENCE,
    comparison_table,
    headline_cards,
    md_escape,
    num,
    picked_stride_line,
    setup_line,
    stride_table,
    stride_table_formats,
)
from ui.widgets import TABLE_ROW_PX, video_in_making

EXTENSION_BAND_TEXT = noise_band_text("peak_thigh_extension_deg")


def render_results(result: SessionResult, *, runner_line: str | None = None) -> None:
    """Everything about `result` below the page title (`runner_line`: markdown, user
    text already escaped, shown instead of the plain "Runner: name")."""
    report, summary = result.report, result.report.summary
    strides = report.strides
    near, far = summary.near_side, summary.far_side
    reference = reference_as_used(summary)
    pick_key, chart_key, table_key = (f"{name}_{result.id}" for name in ("pick", "chart", "table"))
    reliability = summary.reliability
    sound = reliability.verdict != NOT_RELIABLE

    render_reliability(reliability)  # the verdict first, above everything else
    if result.is_sample:
        st.info(SAMPLE_NOTE)
    if runner_line or result.athlete:
        st.markdown(runner_line or f"**Runner:** {md_escape(result.athlete)}")
    st.markdown(setup_line(summary))
    st.caption(summary.reference.note if summary.reference and summary.reference.note
               else "No reference comparison: the running speed is unknown.")

    render_cards(headline_cards(summary, sound=sound))
    st.caption(("± = 95 % uncertainty of the median over strides. " if sound else
                "No uncertainty interval is given: this analysis is not reliable (see the top), "
                "so the figures are only rough indications. ")
               + f"Differences from the reference: below {NOISE_DEG:.0f}° is within "
               f"pose-measurement noise, {NOISE_DEG:.0f}–{LIKELY_DEG:.0f}° possible, over "
               f"{LIKELY_DEG:.0f}° likely real; for less extension than the reference the "
               f"noise band is {NOISE_DEG + EXTENSION_POSE_BIAS_DEG:.0f}°, because the pose "
               "model reads extension short on real runners. A 2D thigh angle is not lab hip "
               "extension (see Method).")

    # --- stride by stride, next to the video ---------------------------------------------------
    st.subheader("Hip drive, stride by stride")
    measure = st.radio(
        "Hip measure", list(HIP_MEASURES), horizontal=True, key="measure",
        format_func=lambda k: {"thigh": "Thigh vs vertical (has a reference)",
                               "trunk_thigh": "Trunk–thigh (2D hip, no reference)"}[k])
    metric, part, measure_label = HIP_MEASURES[measure]


    def stride_label(key: str) -> str:
        if not key:
            return "Whole clip"
        side, number = key.split("-")
        row = strides[(strides["side"] == side) & (strides["stride"] == int(number))].iloc[0]
        return (f"{side} leg stride {number} · {row.start_s:.1f} s · "
                f"{num(row[metric])}°")


    by_time = strides.sort_values("start_s", kind="stable")
    stride_keys = [""] + [f"{r.side}-{r.stride}" for r in by_time.itertuples()]
    if st.session_state.get(pick_key) not in stride_keys:
        st.session_state[pick_key] = ""


    def pick_from_chart() -> None:
        points = st.session_state[chart_key].selection.points
        data = [p.get("customdata") for p in points if p.get("customdata")]
        if data:
            st.session_state[pick_key] = f"{data[0][0]}-{int(data[0][1])}"


    def pick_from_table() -> None:
        rows = st.session_state[table_key].selection.rows
        if rows:
            st.session_state[pick_key] = stride_keys[1 + rows[0]]


    picked = st.session_state[pick_key]
    selected = (picked.split("-")[0], int(picked.split("-")[1])) if picked else None
    picked_row = (strides[(strides["side"] == selected[0])
                          & (strides["stride"] == selected[1])].iloc[0] if selected else None)
    video = result.video_path
    has_video = video is not None and Path(video).exists()
    # a phone the user says was low: thigh and knee angles are drawn without the reference
    camera_low = summary.options.camera_low
    thigh_note = "No reference: the phone was low (as entered)." if camera_low else None
    chart_col, video_col = st.columns([3, 2])
    with chart_col:
        ref_value = (reference.values["peak_thigh_extension_deg"]
                     if reference is not None and measure == "thigh" and not camera_low
                     else None)
        fig = stride_chart(strides, near_side=near, metric=metric, title=measure_label,
                           y_title=HIP_AXIS[measure],
                           reference_deg=ref_value, selected=selected,
                           note=thigh_note if measure == "thigh" else NO_TRUNK_THIGH_REFERENCE)
        st.plotly_chart(fig, key=chart_key, on_select=pick_from_chart, selection_mode="points",
                        config=PLOTLY_CONFIG)
        stats = [f"{side} leg median {num(summary.side(side).figure(metric).median)}° "
                 + (f"± {num(summary.side(side).figure(metric).ci95)}°" if sound
                    else "(not reliable)") for side in (near, far)]
        st.caption(f"{measure_label}: {'; '.join(stats)}. "
                   + ("Click a point, or pick a stride in the list, to play it. " if has_video
                      else "Click a point, or pick a stride in the list, to mark it. ")
                   + (f"The grey band is the reference {EXTENSION_BAND_TEXT} (pose noise; wider "
                      "below, where the pose model reads extension short)." if ref_value
                      else NO_TRUNK_THIGH_REFERENCE if measure != "thigh"
                      else LOW_CAMERA_NOT_COMPARED if camera_low else ""))
    with video_col:
        st.selectbox("Jump the video to a stride" if has_video else "Mark a stride on the chart",
                     stride_keys, format_func=stride_label, key=pick_key)
        if has_video:
            start = int(picked_row.start_s) if picked_row is not None else 0
            end = int(math.ceil(picked_row.end_s)) if picked_row is not None else None
            st.video(str(video), start_time=start, end_time=end, loop=picked_row is not None,
                     autoplay=picked_row is not None, muted=True)
            levelled = summary.geometry.levelled_by_deg
            st.caption("Annotated video: left leg orange, right blue, the near leg bright. "
                       + ("Dashed white: the true vertical the angles are measured against "
                          "(the camera was not level). "
                          if levelled is not None and abs(levelled) >= LEVELLED_NOTE_DEG else "")
                       + (f"Looping {start}–{end} s around the stride ({picked_row.start_s:.2f}–"
                          f"{picked_row.end_s:.2f} s; the player jumps in whole seconds)."
                          if picked_row is not None else ""))
        elif not video_in_making(result.id):
            st.info("No annotated video for this analysis (it was not kept when it was saved, "
                    "or was analysed without one).")

    # --- gait cycle ------------------------------------------------------------------------------
    st.subheader("Over the gait cycle")
    side = st.radio("Leg", [near, far], horizontal=True, key="cycle_side",
                    format_func=lambda s: f"{s} ({'near' if s == near else 'far'})")
    hip_col, knee_col = st.columns(2)
    ref_label = (f"reference at {reference.used_speed_mps:.2f} m/s" if reference else "reference")
    toe_ref = reference.values["toe_off_pct"] if reference else None
    with hip_col:
        st.plotly_chart(cycle_chart(
            report.frames, strides, side=side, near_side=near, part=part,
            reference_curve=(reference.thigh_curve_deg
                             if reference and part == "thigh" and not camera_low else None),
            reference_label=ref_label, reference_toe_off_pct=toe_ref,
            note=thigh_note if part == "thigh" else NO_TRUNK_THIGH_REFERENCE),
            key="cycle_hip", config=PLOTLY_CONFIG)
    with knee_col:
        st.plotly_chart(cycle_chart(
            report.frames, strides, side=side, near_side=near, part="knee",
            reference_curve=reference.knee_curve_deg if reference and not camera_low else None,
            reference_label=ref_label, reference_toe_off_pct=toe_ref, note=thigh_note),
            key="cycle_knee", config=PLOTLY_CONFIG)
    st.caption("Every stride thin, the mean bold; "
               + ("no reference curve: the phone was low (as entered); " if camera_low else
                  f"dashed grey = the speed-matched reference with {NOISE_TEXT} band; ")
               + "dotted lines = foot strike and your mean toe-off (dashed grey: the reference "
               "toe-off). Thigh and trunk–thigh: + = knee in front, − = behind. Knee: 0 = "
               "straight.")
    with st.expander("What separates elite runners"):
        for marker in summary.elite_markers:
            st.markdown(f"- {marker.text} ({marker.source})")

    # --- drills, quality, strides, downloads ----------------------------------------------------
    st.subheader("Drills")
    render_drills(summary.drills, verdict=reliability.verdict)

    st.subheader("Quality of this analysis")
    render_quality(summary)

    st.subheader("Strides")
    st.dataframe(stride_table(strides), key=table_key, on_select=pick_from_table,
                 selection_mode="single-row", hide_index=True, placeholder=DASH,
                 column_config={name: st.column_config.NumberColumn(format=fmt)
                                for name, fmt in stride_table_formats(strides).items()})
    if picked_row is not None:  # the video and chart are far above on a phone: say so here
        st.info(picked_stride_line(selected[0], selected[1], picked_row.start_s,
                                   has_video=has_video), icon="⬆️")
    st.caption(("Select a row to jump the video to that stride. " if has_video
                else "Select a row to mark that stride on the chart. ")
               + "Confidence below ~0.6: treat "
               "the stride with caution.")
    with st.expander("All measures vs the reference"):
        medians = comparison_table(summary, sound=sound)
        st.dataframe(medians, hide_index=True, placeholder=DASH,
                     height=TABLE_ROW_PX * (len(medians) + 1) + 3,
                     column_config={"meaning": st.column_config.TextColumn(width="large")})

    st.subheader("Downloads")
    render_downloads(result)
