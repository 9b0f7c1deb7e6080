"""HipDrive app entry point: page config, link parameters and navigation only. Pages
are in app_pages/ (not pages/, which Streamlit would also serve by itself, bypassing
this router, to a deep link opened right after the server starts).

`/?analysis=<token>` opens a shared analysis, `/?athlete=<token>` an athlete's
history, `/?invite=<token>` the upload page inside the coach's squad,
`/?workshop=<token>` the upload page inside a workshop, `/?board=<token>` its board."""

import streamlit as st

from ui.saved import SHARED_KEY, remember_link_params

st.set_page_config(page_title="HipDrive", page_icon="🏃", layout="wide")
remember_link_params()
params = st.query_params
opens_shared = "analysis" in params
opens_history = "athlete" in params and not opens_shared
opens_board = "board" in params and not (opens_shared or opens_history)
pages = [
    st.Page("app_pages/analyze.py", title="Analyze", icon="🏃",
            default=not (opens_shared or opens_history or opens_board)),
    st.Page("app_pages/results.py", title="Results", icon="📈"),
    st.Page("app_pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("app_pages/history.py", title="History", icon="📅", default=opens_history),
    st.Page("app_pages/squad.py", title="Squad", icon="👥"),
    st.Page("app_pages/workshop.py", title="Workshop", icon="🎓", default=opens_board),
    st.Page("app_pages/live.py", title="Live", icon="🎥"),
    st.Page("app_pages/method.py", title="Method", icon="📐"),
]
if opens_shared or st.session_state.get(SHARED_KEY):
    pages.insert(0, st.Page("app_pages/shared.py", title="Shared results", icon="🔗",
                            default=opens_shared))
st.navigation(pages, position="top").run()
