"""A saved analysis opened from its share link (`/?analysis=<token>`): read-only
results for anyone holding the link, who may also delete it."""

import streamlit as st

from ui import saved, state
from ui.results_view import render_results
from ui.share_panel import DB_UNREACHABLE, athlete_line, render_delete

JUST_DELETED_KEY = "hipdrive_just_deleted"
token = st.session_state.get(saved.SHARED_KEY)
st.title("Shared results")
try:
    found = saved.saved_store().load(token)
except saved.STORE_ERRORS:
    st.error(DB_UNREACHABLE, icon="⚠️")
    st.stop()
if found is None and st.session_state.pop(JUST_DELETED_KEY, False):
    st.success("Deleted: the results, landmarks and any kept video are gone, and this link "
               "no longer works.")
    st.page_link("app_pages/analyze.py", label="Analyse another clip", icon="🏃")
    st.stop()
if found is None:
    st.warning("**Analysis not found.** The link may be mistyped or incomplete, or the "
               "analysis was deleted by whoever held the link.", icon="🔎")
    st.page_link("app_pages/analyze.py", label="Analyse a clip of your own", icon="🏃")
    st.stop()

result = state.from_saved(found)
st.caption(f"Saved {found.created_at:%Y-%m-%d %H:%M} UTC with HipDrive {found.app_version}. "
           "Read-only view of a shared link.")
render_results(result, runner_line=athlete_line(found.athlete.name, found.recorded_on,
                                                found.note))
raw = found.files.get("raw_video")
if raw is not None:
    st.download_button("Original video", raw.read_bytes, file_name=f"original{raw.suffix}",
                       key="dl_raw", mime="application/octet-stream")

if render_delete(found.token, key="delete_shared"):
    st.session_state[JUST_DELETED_KEY] = True
    st.rerun()
