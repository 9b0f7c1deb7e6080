"""HipDrive app entry point: page config and navigation only (pages are in pages/)."""

import streamlit as st

st.set_page_config(page_title="HipDrive", page_icon="🏃", layout="wide")
page = st.navigation(
    [
        st.Page("pages/analyze.py", title="Analyze", icon="🏃", default=True),
        st.Page("pages/results.py", title="Results", icon="📈"),
        st.Page("pages/compare.py", title="Compare", icon="⚖️"),
        st.Page("pages/method.py", title="Method", icon="📐"),
    ],
    position="top",
)
page.run()
