"""Squad (coach): every squad athlete with their latest figures and flags, sortable,
each linking to the analysis and the history; the invite link. Needs the coach
passcode (HIPDRIVE_COACH_PASSCODE or `coach_passcode` in Streamlit secrets)."""

import streamlit as st

from ui import saved
from ui.tables import squad_table

st.title("Squad")
if saved.coach_passcode() is None:
    st.info("The squad page is switched off on this server: no coach passcode is set. "
            "Whoever hosts HipDrive sets one with the environment variable "
            "`HIPDRIVE_COACH_PASSCODE` or `coach_passcode` in `.streamlit/secrets.toml` "
            "(see the README, “Hosting for a squad”).")
    st.stop()

if not saved.is_coach():
    with st.form("coach_login"):
        entered = st.text_input("Coach passcode", type="password", key="coach_passcode")
        if st.form_submit_button("Unlock", type="primary"):
            if saved.unlock_coach(entered):
                st.rerun()
            st.error("That passcode is not right.", icon="🔒")
    st.caption("Athletes do not need the passcode: they upload through the invite link and "
               "open their results through their own links.")
    st.stop()

try:
    store = saved.saved_store()
    squad = store.squad()
    invite = store.invite_token()
except saved.STORE_ERRORS:
    st.error("The database is not reachable right now; try again in a minute.", icon="⚠️")
    st.stop()

st.subheader("Invite link")
st.markdown("Send this link to your athletes: they upload a clip under their name and it "
            "appears here. It does not give access to this page.")
st.code(saved.absolute_link(f"/?invite={invite}"), language=None)
with st.expander("Make a new invite link"):
    st.markdown("The current link stops working (for example if it was posted publicly). "
                "Saved analyses are not affected.")
    if st.button("Make a new invite link", key="rotate_invite"):
        try:
            store.rotate_invite_token()
        except saved.STORE_ERRORS:
            st.error("The database is not reachable right now; the invite link is "
                     "unchanged.", icon="⚠️")
        else:
            st.rerun()

st.subheader(f"Athletes ({len(squad)})")
if squad.empty:
    st.info("No squad analyses yet. Athletes appear here once they save through the invite "
            "link (or when you save with `gait analyze … --save --athlete NAME`).")
else:
    table = squad_table(
        squad, analysis_link=lambda tok: saved.absolute_link(f"/?analysis={tok}"),
        history_link=lambda tok: saved.absolute_link(f"/?athlete={tok}"))
    st.dataframe(table, hide_index=True, key="squad_table", column_config={
        "athlete": st.column_config.TextColumn(pinned=True),
        "latest analysis": st.column_config.LinkColumn(display_text="open ↗"),
        "history": st.column_config.LinkColumn(display_text="history ↗")})
    st.caption("Click a column header to sort. Figures are the latest analysis's stride "
               "medians; ext. = peak thigh extension (degrees behind vertical, 2D); the "
               "reference is experienced runners at that run's speed. The far leg reads "
               "3–5° low: compare each athlete's near leg.")
if st.button("Lock this page", key="coach_lock"):
    st.session_state.pop(saved.COACH_KEY, None)
    st.rerun()
