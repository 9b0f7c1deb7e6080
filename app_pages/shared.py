"""A saved analysis opened from its share link (`/?analysis=<token>`): read-only
results for anyone holding the link. Deleting needs the owner's link
(`/?analysis=<token>&delete=<delete token>`, whose key is taken off the address bar
so that it is not copied along with the share link) or the coach's passcode in this
session."""

import streamlit as st

from gait.store import StoreError
from ui import saved, state
from ui.results_view import render_results
from ui.share_panel import DB_UNREACHABLE, athlete_line, render_delete

JUST_DELETED_KEY = "hipdrive_just_deleted"
token = st.session_state.get(saved.SHARED_KEY)
st.title("Shared results")
try:
    found = saved.saved_store().load(token)
except StoreError:
    st.error(DB_UNREACHABLE, icon="⚠️")
    st.stop()
if found is None and st.session_state.pop(JUST_DELETED_KEY, False):
    st.success("Deleted: the results, landmarks and any kept video are gone, and this link "
               "no longer works.")
    st.page_link("app_pages/analyze.py", label="Analyse another clip", icon="🏃")
    st.stop()
if found is None:
    st.warning("**Analysis not found.** The link may be mistyped or incomplete, or the "
               "analysis was deleted by whoever saved it.", icon="🔎")
    st.page_link("app_pages/analyze.py", label="Analyse a clip of your own", icon="🏃")
    st.stop()

if "delete" in st.query_params:  # kept in the session (saved.DELETE_KEY), not in the bar
    del st.query_params["delete"]
delete_token = saved.owner_delete_token(found.token)
try:
    owner = delete_token is not None and saved.saved_store().can_delete(found.token,
                                                                       delete_token)
except StoreError:
    owner = False
if delete_token is not None and not owner:
    st.warning("This delete link does not match this analysis (it may be mistyped or "
               "incomplete): it opens read-only.", icon="🔒")

result = state.from_saved(found)
st.caption(f"Saved {found.created_at:%Y-%m-%d %H:%M} UTC with HipDrive {found.app_version}. "
           "Read-only view of a shared link.")
render_results(result, runner_line=athlete_line(found.athlete.name, found.recorded_on,
                                                found.note))
raw = found.files.get("raw_video")
if raw is not None:
    st.download_button("Original video", raw.read_bytes, file_name=f"original{raw.suffix}",
                       key="dl_raw", mime="application/octet-stream")

if render_delete(found.token, key="delete_shared", delete_token=delete_token if owner else None,
                 by_host=saved.is_coach()):
    st.session_state[JUST_DELETED_KEY] = True
    st.rerun()
