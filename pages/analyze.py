"""Placeholder landing page until the app issue lands: what HipDrive is and how to
run an analysis from the command line."""

import streamlit as st

st.title("HipDrive")
st.write(
    "HipDrive shows how your hips move when you run — how far the thigh drives back "
    "behind the body and through in front — from a side-view phone video, stride by "
    "stride, next to a speed-matched reference of experienced runners."
)
st.info(
    "The interactive app is being built. Analyse a clip now with the command line:\n\n"
    "`.venv/bin/gait analyze my_run.mp4 --out results/`\n\n"
    "and open `results/report.html`."
)
