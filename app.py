"""HipDrive app entry point: page config, link parameters and navigation only (pages
are in pages/). `/?analysis=<token>` opens a shared analysis, `/?athlete=<token>` an
athlete's history, `/?invite=<token>` the upload page inside the coach's squad."""

import streamlit as st

from ui.saved import SHARED_KEY, remember_link_params

st.set_page_config(page_title="HipDrive", page_icon="🏃", layout="wide")
remember_link_params()
params = st.query_params
opens_shared = "analysis" in params
opens_history = "athlete" in params and not opens_shared
pages = [
    st.Page("pages/analyze.py", title="Analyze", icon="🏃",
            default=not (opens_shared or opens_history)),
    st.Page("pages/results.py", title="Results", icon="📈"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("pages/history.py", title="History", icon="📅", default=opens_history),
    st.Page("pages/squad.py", title="Squad", icon="👥"),
    st.Page("pages/method.py", title="Method", icon="📐"),
]
if opens_shared or st.session_state.get(SHARED_KEY):
    pages.insert(0, st.Page("pages/shared.py", title="Shared results", icon="🔗",
                            default=opens_shared))
st.navigation(pages, position="top").run()
