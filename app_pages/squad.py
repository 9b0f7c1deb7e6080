"""Squad (coach): every squad athlete with their latest figures and flags, sortable,
each linking to the analysis and the history; the invite link; deleting any saved
analysis by its link (the only way for analyses saved before delete links). Needs the
coach passcode (HIPDRIVE_COACH_PASSCODE or `coach_passcode` in Streamlit secrets)."""

import streamlit as st

from gait.reference import FAR_LEG_LOW_TEXT
from gait.store import StoreError
from ui import saved
from ui.compare_saved import render_pair_picker
from ui.confirm import confirmed_click
from ui.tables import squad_table
from ui.text import DASH

st.title("Squad")
if saved.passcode_problem() is not None:
    st.error(saved.passcode_problem(), icon="🔒")
    st.stop()
if saved.coach_passcode() is None:
    st.info("The squad page is switched off on this server: no coach passcode is set. "
            "Whoever hosts HipDrive sets one (at least "
            f"{saved.MIN_PASSCODE_CHARS} characters) with the environment variable "
            "`HIPDRIVE_COACH_PASSCODE` or `coach_passcode` in `.streamlit/secrets.toml` "
            "(see the README, “Hosting for a squad”).")
    st.stop()

if not saved.render_coach_login():
    st.caption("Athletes do not need the passcode: they upload through the invite link and "
               "open their results through their own links.")
    st.stop()

try:
    store = saved.saved_store()
    squad = store.squad()
    invite = store.invite_token()
except StoreError:
    st.error("The database is not reachable right now; try again in a minute.", icon="⚠️")
    st.stop()

st.subheader("Invite link")
st.markdown("Send this link to your athletes: they upload a clip under their name and it "
            "appears here. It does not give access to this page.")
saved.show_link(f"/?invite={invite}")
with st.expander("Make a new invite link"):
    st.markdown("The current link stops working (for example if it was posted publicly). "
                "Saved analyses are not affected.")
    if st.button("Make a new invite link", key="rotate_invite"):
        try:
            store.rotate_invite_token()
        except StoreError:
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
        squad, analysis_link=lambda tok: saved.room_link(f"/?analysis={tok}"),
        history_link=lambda tok: saved.room_link(f"/?athlete={tok}"))
    st.dataframe(table, hide_index=True, key="squad_table", placeholder=DASH, column_config={
        "athlete": st.column_config.TextColumn(pinned=True),
        "flags": st.column_config.TextColumn(width="large"),
        "latest analysis": st.column_config.LinkColumn(display_text="open ↗"),
        "history": st.column_config.LinkColumn(display_text="history ↗")})
    st.caption("Click a column header to sort. Figures are the latest analysis's stride "
               "medians; ext. = peak thigh extension (degrees behind vertical, 2D); the "
               "reference is experienced runners at that run's speed. The far leg reads "
               f"{FAR_LEG_LOW_TEXT} low: compare each athlete's near leg.")

if len(squad) >= 2:
    st.subheader("Compare two athletes")
    latest = {row.token: f"{row.athlete_name} · {row.recorded_on}"
              for row in squad.itertuples()}
    render_pair_picker(store, latest, names=("A", "B"), key="squad",
                       button="Compare their latest analyses", b_index=1)
    st.caption("Each athlete's near leg is compared (the far leg reads "
               f"{FAR_LEG_LOW_TEXT} low). Compare draws A's speed-matched reference; "
               "runs at different speeds also differ for that reason (faster running "
               "extends more).")

with st.expander("Delete a saved analysis"):
    st.markdown("Paste the analysis's link (or its token), e.g. when an athlete asks for "
                "it to be removed. Analyses saved before delete links existed can only be "
                "deleted here. This removes the results, landmarks and any kept video for "
                "good.")
    clicked, pasted = confirmed_click(
        "Delete", "Yes, delete it for good", key="coach_delete",
        fields=lambda: st.text_input("Analysis link", key="coach_delete_link",
                                     placeholder="https://…/?analysis=…"),
        ready=lambda link: None if link else "Paste the analysis's link first.")
    if clicked:
        try:
            deleted = store.delete_by_host(saved.token_from_link(pasted))
        except StoreError:
            st.error("The database is not reachable right now; nothing was deleted.",
                     icon="⚠️")
        else:
            if deleted:
                st.success("Deleted: its link no longer works.")
            else:
                st.warning("No saved analysis has that link (mistyped, or already "
                           "deleted).")

if st.button("Lock this page", key="coach_lock"):
    st.session_state.pop(saved.COACH_KEY, None)
    st.rerun()
