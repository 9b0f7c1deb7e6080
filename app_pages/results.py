"""Results: this session's analyses (pick one), shown by ui.results_view, with saving
and sharing underneath. An analysis still running for this session (the runner left
Analyze meanwhile) is shown as progress here, polled by a fragment, and collected
when it ends."""

import streamlit as st

from ui import saved, state
from ui.results_view import render_results
from ui.share_panel import render_share_panel
from ui.text import md_escape, progress_text
from ui.widgets import collect_pending, numbers_ready, pick_result

PICK_KEY = "results_pick"
POLL_S = 1.0


@st.fragment(run_every=POLL_S)
def still_analysing() -> None:
    """Progress of this session's analysis in flight, polled every POLL_S; once it has
    ended, the whole page reruns and collects it."""
    record = state.pending()
    if record is None or numbers_ready(record):
        st.rerun()
    st.info(f"Still analysing {md_escape(record.file_name or 'your clip')}… you can stay "
            "here or open other pages: the result will be waiting for you.", icon="⏳")
    value, text = progress_text(*record.job.state)
    st.progress(min(max(value, 0.0), 1.0), text=text)


st.title("Results")
record = state.pending()
if record is not None and numbers_ready(record):
    if (collected := collect_pending()) is not None:
        st.session_state[PICK_KEY] = collected.id  # show the new result first
elif record is not None and record.result_id is None:
    still_analysing()
    if not state.results():
        st.stop()

if not state.results():
    st.info("No analysis yet in this session. Upload a clip or try the sample run.")
    st.page_link("app_pages/analyze.py", label="Go to Analyze", icon="🏃")
    st.stop()

result = pick_result("Analysis", key=PICK_KEY, default=state.current())
state.set_current(result.id)
if result.saved is not None:
    share_col, note_col = st.columns([3, 2])
    with share_col:
        saved.show_link(result.saved.share_path)
    note_col.caption("Saved: this link opens these results in any browser. History link "
                     "and delete: under “Save and share” at the bottom.")
render_results(result)
render_share_panel(result)

with st.expander("Remove this analysis from this tab"):
    st.markdown("Removes the results and the annotated video from this browser tab and "
                "this server now (a saved copy stays until you delete it above).")
    if st.button("Remove from this tab", key=f"remove_{result.id}"):
        state.remove_result(result.id)
        st.rerun()

link_a, link_b = st.columns(2)
link_a.page_link("app_pages/analyze.py", label="Analyse another clip", icon="🏃")
link_b.page_link("app_pages/compare.py", label="Compare two runs", icon="⚖️")
