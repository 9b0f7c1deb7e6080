"""Results: this session's analyses (pick one), shown by ui.results_view, with saving
and sharing underneath."""

import streamlit as st

from ui import saved, state
from ui.results_view import render_results
from ui.share_panel import render_share_panel
from ui.widgets import pick_result

st.title("Results")
if not state.results():
    st.info("No analysis yet in this session. Upload a clip or try the sample run.")
    st.page_link("app_pages/analyze.py", label="Go to Analyze", icon="🏃")
    st.stop()

result = pick_result("Analysis", key="results_pick", default=state.current())
state.set_current(result.id)
if result.saved is not None:
    share_col, note_col = st.columns([3, 2])
    share_col.code(saved.absolute_link(result.saved.share_path), language=None)
    note_col.caption("Saved: this link opens these results in any browser. History link "
                     "and delete: under “Save and share” at the bottom.")
render_results(result)
render_share_panel(result)

link_a, link_b = st.columns(2)
link_a.page_link("app_pages/analyze.py", label="Analyse another clip", icon="🏃")
link_b.page_link("app_pages/compare.py", label="Compare two runs", icon="⚖️")
