"""Workshop (presenter): start a workshop (the coach, after the passcode, or anyone
when the host sets HIPDRIVE_OPEN_WORKSHOPS=1), show its join link and QR code, and the
room's board, which updates on its own as results arrive ("Board only" hides the join
code so the results fill a projector's screen); close it and delete
everything it collected. The board's private link (`/?board=<host token>`) is the
presenter's key: the page takes it out of the address bar (a projected address bar
would hand the room the key to close the workshop) and keeps it for the session; the
link to reopen the board later sits in a closed expander.
"""

import os

import segno
import streamlit as st

from gait.reference import noise_band_text
from gait.store import StoreError
from gait.store.workshops import board, close_workshop, create_workshop, find_workshop
from ui import saved
from ui.board_figures import cadence_board, hip_drive_board, room_spread
from ui.confirm import confirmed_click
from ui.figures import PLOTLY_CONFIG
from ui.text import md_escape

REFRESH_S = 3
BIG_TYPE = """<style>
[data-testid="stMetricValue"] { font-size: 3.2rem; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem; }
[data-testid="stCode"] code { font-size: 1.5rem; }
</style>"""

st.title("Workshop")
host_token = st.session_state.get(saved.BOARD_KEY)
if "board" in st.query_params:  # kept in the session (ui.saved.remember_link_params)
    del st.query_params["board"]
try:
    workshop = find_workshop(saved.saved_store(), host_token=host_token) if host_token else None
except StoreError:
    st.error("The database is not reachable right now; try again in a minute.", icon="⚠️")
    st.stop()

if workshop is None:
    if host_token:
        st.warning("That workshop board was not found.")
    st.markdown("Run a workshop: the room's runners film each other, upload from their "
                "phones with a nickname (no account), and their hip drive appears on this "
                "board as it arrives. Use **Live** for the camera on this laptop.")
    if not saved.workshops_open():
        if saved.coach_passcode() is None:
            if saved.passcode_problem() is not None:
                st.error(saved.passcode_problem(), icon="🔒")
            st.info("Starting a workshop is switched off on this server. Whoever hosts "
                    "HipDrive switches it on for everyone with the environment variable "
                    "`HIPDRIVE_OPEN_WORKSHOPS=1` (a presenter's own laptop), or sets a "
                    "coach passcode (`HIPDRIVE_COACH_PASSCODE`, at least "
                    f"{saved.MIN_PASSCODE_CHARS} characters) so the coach can start them. "
                    "Joining a workshop needs neither: use the presenter's join link.",
                    icon="🔒")
            st.stop()
        if not saved.is_coach():
            st.markdown("Only the coach can start a workshop on this server: enter the "
                        "coach passcode. (Joining needs no passcode: use the presenter's "
                        "join link.)")
        if not saved.render_coach_login("workshop_login", input_key="workshop_passcode"):
            st.stop()
    with st.form("start_workshop"):
        name = st.text_input("Workshop name", max_chars=80, key="workshop_name",
                             placeholder="e.g. Thursday club")
        if st.form_submit_button("Start a workshop", type="primary"):
            try:
                created = create_workshop(saved.saved_store(), name)
            except StoreError:
                st.error("The database is not reachable right now; try again.", icon="⚠️")
            else:
                st.session_state[saved.BOARD_KEY] = created.host_token
                st.rerun()
    st.stop()

if workshop.closed:
    st.success(f"The workshop “{md_escape(workshop.name)}” is closed and everything it "
               "collected was deleted.")
    if st.button("Start a new workshop", key="new_workshop"):
        st.session_state.pop(saved.BOARD_KEY, None)
        st.query_params.clear()
        st.rerun()
    st.stop()

st.markdown(BIG_TYPE, unsafe_allow_html=True)  # our own CSS, no user text
join_link = saved.room_link(f"/?workshop={workshop.join_token}")
board_only = st.toggle(
    "Board only", key="board_only",
    help="Hide the join code once the room has joined, so the results fill a projector's "
         "screen; the join link stays, small, for latecomers.")
if board_only:
    st.markdown(f"## {md_escape(workshop.name)}")
    st.caption(f"Join: {join_link}")
else:
    qr_col, text_col = st.columns([1, 2])
    with qr_col:
        qr_svg = segno.make(join_link, error="m").svg_inline(scale=7, dark="#000",
                                                             light="#fff")
        st.markdown(f'<div data-testid="join-qr">{qr_svg}</div>', unsafe_allow_html=True)
    with text_col:
        st.markdown(f"## {md_escape(workshop.name)}")
        st.markdown("**Join:** scan the code, or open")
        st.code(join_link, language=None, wrap_lines=True)
        if saved.listens_only_locally() and not os.environ.get("HIPDRIVE_PUBLIC_URL"):
            st.warning("This app listens on this laptop only (server address "
                       f"{st.get_option('server.address')}), so phones cannot open the link. "
                       "Restart it with `bash scripts/run-app.sh --server.address 0.0.0.0` "
                       "for the room's Wi-Fi.", icon="📵")
        st.caption("Film a friend from the side for 10–20 s, upload under a nickname, and "
                   "your result appears here. Phones must be on the same network (Wi-Fi) as "
                   "this laptop.")


@st.fragment(run_every=REFRESH_S)
def live_board() -> None:
    """Re-reads the board every few seconds: new results appear without a reload."""
    try:
        table = board(saved.saved_store(), workshop.id)
    except StoreError:
        st.warning("The database is not reachable right now; retrying…")
        return
    if table.empty:
        st.info("Waiting for the first result…")
        return
    spread = room_spread(table)
    lead, room, count = st.columns(3)
    if spread is None:
        lead.metric("Most hip drive", "—", help="No reliable result yet.")
        room.metric("Room median", "—", help="No reliable result yet.")
    else:
        versus = spread["leader_vs_reference_deg"]
        lead.metric(f"Most hip drive for their speed: {md_escape(spread['leader'])}"
                    if versus is not None else f"Most hip drive: {md_escape(spread['leader'])}",
                    f"{spread['leader_deg']:.1f}°",
                    delta=None if versus is None
                    else f"{versus:+.1f}° vs reference",  # ASCII sign: it sets the arrow
                    delta_color="off",  # within the noise band it is no verdict: grey
                    help="Peak thigh extension of the near leg; the leader goes furthest "
                         "beyond the reference at their own speed (faster running extends "
                         "more).")
        room.metric("Room median", f"{spread['median_deg']:.1f}°",
                    help="Peak thigh extension of the near leg, degrees behind vertical "
                         "(2D), over the results not marked \"not reliable\" or "
                         "\"phone low\". Range "
                         f"{spread['min_deg']:.1f}–{spread['max_deg']:.1f}°.")
    count.metric("Runners", f"{len(table)}",
                 help="Results on the board; those marked (not reliable) do not count "
                      "for the leader or the median, nor, for hip drive, those marked "
                      "(phone low): a phone near the floor reads the thigh short.")
    st.plotly_chart(hip_drive_board(table), key="board_hip", config=PLOTLY_CONFIG)
    st.plotly_chart(cadence_board(table), key="board_cadence", config=PLOTLY_CONFIG)
    st.caption("Orange: each runner's median over strides; grey: the reference of "
               f"experienced runners at their speed {noise_band_text('peak_thigh_extension_deg')} "
               "(measurement noise; wider below, where the pose model reads extension short). "
               "A 2D thigh "
               "angle from a phone, not lab hip extension.")


live_board()

with st.expander("Reopen this board later"):
    st.markdown("This page keeps the board while the tab stays open. To come back to it "
                "after closing the tab, or from another computer, keep this **private** "
                "link: whoever has it can end the workshop and delete its results, so "
                "do not show it on the projector.")
    # inline code, not st.code: the board's big type (BIG_TYPE) is for the join link only
    st.markdown(f"`{saved.absolute_link(f'/?board={workshop.host_token}')}`")

with st.expander("Close the workshop"):
    st.markdown("Closes the join link and **deletes every result the workshop collected** "
                "(figures, landmarks, any kept videos) for good.")
    clicked, _ = confirmed_click("Close and delete", "Yes, close it and delete everything",
                                 key="close_workshop")
    if clicked:
        try:
            deleted = close_workshop(saved.saved_store(), workshop.host_token)
        except StoreError:
            st.error("The database is not reachable right now; nothing was deleted.",
                     icon="⚠️")
        else:
            st.toast(f"Closed; {deleted} results deleted.")
            st.rerun()
