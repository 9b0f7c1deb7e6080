"""HipDrive app entry point: page config, link parameters and navigation only, run by
the entry scripts (`app.py` in a checkout, `ui/streamlit_app.py` when installed; `hipdrive-app`
starts the latter). Pages are in app_pages/ (not pages/, which Streamlit would also serve
by itself, bypassing this router, to a deep link opened right after the server starts),
found beside this package so that a checkout and an installed HipDrive work alike.

`/?analysis=<token>` opens a shared analysis, `/?athlete=<token>` an athlete's
history, `/?invite=<token>` the upload page inside the coach's squad,
`/?workshop=<token>` the upload page inside a workshop, `/?board=<token>` its board."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parents[1] / "app_pages"
# On a touch screen a swipe over a chart panned it out of view instead of scrolling the
# page (Streamlit sets a selectable chart's drag mode to "pan", and Plotly then holds the
# touch): there the charts' drag layer lets touches through to the page. Strides are
# picked in the list or the table instead; a mouse keeps tooltips and clicks.
TOUCH_SCROLLS_PAST_CHARTS = """<style>
@media (pointer: coarse) {
  .js-plotly-plot .draglayer, .js-plotly-plot .nsewdrag { pointer-events: none !important; }
}
</style>"""


def run() -> None:
    """Build the navigation for this run of the script and run the chosen page."""
    import streamlit as st

    from ui.saved import BOARD_LANDING_KEY, SHARED_KEY, remember_link_params

    st.set_page_config(page_title="HipDrive", page_icon="🏃", layout="wide")
    st.markdown(TOUCH_SCROLLS_PAST_CHARTS, unsafe_allow_html=True)  # our own CSS only
    remember_link_params()
    params = st.query_params
    opens_shared = "analysis" in params
    opens_history = "athlete" in params and not opens_shared
    opens_board = (("board" in params or st.session_state.get(BOARD_LANDING_KEY, False))
                   and not (opens_shared or opens_history))
    pages = [
        st.Page(PAGES_DIR / "analyze.py", title="Analyze", icon="🏃",
                default=not (opens_shared or opens_history or opens_board)),
        st.Page(PAGES_DIR / "results.py", title="Results", icon="📈"),
        st.Page(PAGES_DIR / "compare.py", title="Compare", icon="⚖️"),
        st.Page(PAGES_DIR / "history.py", title="History", icon="📅", default=opens_history),
        st.Page(PAGES_DIR / "squad.py", title="Squad", icon="👥"),
        st.Page(PAGES_DIR / "workshop.py", title="Workshop", icon="🎓", default=opens_board),
        st.Page(PAGES_DIR / "live.py", title="Live", icon="🎥"),
        st.Page(PAGES_DIR / "method.py", title="Method", icon="📐"),
    ]
    if opens_shared or st.session_state.get(SHARED_KEY):
        pages.insert(0, st.Page(PAGES_DIR / "shared.py", title="Shared results", icon="🔗",
                                default=opens_shared))
    st.navigation(pages, position="top").run()
