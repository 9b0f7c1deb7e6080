"""HipDrive app entry point: page config and navigation only."""

import streamlit as st

st.set_page_config(page_title="HipDrive", page_icon="🏃", layout="wide")
page = st.navigation([st.Page("pages/analyze.py", title="Analyze", icon="🏃", default=True)])
page.run()
