"""History: every saved analysis of one athlete, trends of the key figures against the
reference, and a one-click before/after comparison.

Whose history: the athlete link this visitor opened (`/?athlete=<token>`), the names
saved from this browser tab, or — for the coach, after the passcode — any squad member.
"""

import streamlit as st

from gait.reference import FAR_LEG_LOW_TEXT, noise_band_text
from gait.store import StoreError
from ui import saved
from ui.compare_saved import render_pair_picker
from ui.figures import PLOTLY_CONFIG
from ui.history_figures import cadence_trend, symmetry_trend, thigh_extension_trend
from ui.tables import history_table, phone_low
from ui.text import DASH, md_escape

st.title("History")
try:
    store = saved.saved_store()
    choices = dict(saved.my_athletes())
    linked = store.athlete(st.session_state.get(saved.ATHLETE_KEY))
    if linked is not None:
        choices = {linked.token: linked.name, **choices}
    if saved.is_coach():
        squad = store.squad()
        choices.update(zip(squad["athlete_token"], squad["athlete_name"], strict=True))
except StoreError:
    st.error("The database is not reachable right now; try again in a minute.", icon="⚠️")
    st.stop()

if not choices:
    st.info("Open your **history link** (shown when you saved an analysis), or save an "
            "analysis from this tab. Coaches: unlock the Squad page to see every athlete.")
    st.page_link("app_pages/analyze.py", label="Analyse and save a clip", icon="🏃")
    st.stop()

token = st.selectbox("Athlete", list(choices), format_func=choices.get, key="history_pick")
try:
    history = store.history(token)
except StoreError:
    st.error("The database is not reachable right now; try again in a minute.", icon="⚠️")
    st.stop()
if history.empty:
    st.warning("No saved analysis for this athlete any more (they were deleted).")
    st.stop()
st.markdown(f"### {md_escape(choices[token])}")
first_day, last_day = history["recorded_on"].iloc[0], history["recorded_on"].iloc[-1]
st.caption(f"{len(history)} saved analys{'is' if len(history) == 1 else 'es'}, "
           f"{first_day if first_day == last_day else f'{first_day} to {last_day}'}. "
           "Filled points: the leg nearest the camera; hollow: the far leg, which reads "
           f"{FAR_LEG_LOW_TEXT} low. Compare near legs, at similar speeds."
           + (" Grey crosses: runs filmed with the phone low (as entered), which read the "
              "thigh short; they are kept off the lines and have no reference."
              if phone_low(history).any() else ""))

st.plotly_chart(thigh_extension_trend(history), key="trend_thigh", config=PLOTLY_CONFIG)
left, right = st.columns(2)
left.plotly_chart(cadence_trend(history), key="trend_cadence", config=PLOTLY_CONFIG)
right.plotly_chart(symmetry_trend(history), key="trend_symmetry", config=PLOTLY_CONFIG)
st.caption("Peak thigh extension = how far the thigh swings behind vertical (2D, not lab "
           "hip extension; see Method). Grey: the reference of experienced runners at each "
           f"run's speed {noise_band_text('peak_thigh_extension_deg')} measurement noise (wider "
           "below: the pose model reads extension short). Symmetry from one side view carries the "
           "near/far bias: film both directions to compare legs.")

st.subheader("Before and after")
labels = {row.token: f"{row.recorded_on} · {row.note or 'no note'}"
          for row in history.itertuples()}
render_pair_picker(store, labels, names=("Before", "After"), key="history",
                   button="Compare before and after", b_index=len(labels) - 1, primary=True)
if len(labels) < 2:
    st.caption("Save a second analysis to compare before and after.")

st.subheader("Every analysis")
table = history_table(history, link=lambda tok: saved.room_link(f"/?analysis={tok}"))
st.dataframe(table, hide_index=True, key="history_table", placeholder=DASH, column_config={
    "open": st.column_config.LinkColumn("open", display_text="open ↗"),
    "flags": st.column_config.TextColumn(width="medium")})
