"""Open two saved analyses side by side in Compare: the pair picker of History (before /
after) and Squad (two athletes), and the step that loads them into this session."""

from __future__ import annotations

import streamlit as st

from gait.store import Store, StoreError
from ui import state


def open_saved_in_compare(store: Store, token_a: str, token_b: str) -> str | None:
    """Load two saved analyses into this session and go to Compare (A, B); or the
    message to show when the database cannot be reached or one was just deleted."""
    try:
        pair = [store.load(token_a), store.load(token_b)]
    except StoreError:
        return "The database is not reachable right now; try again in a minute."
    if None in pair:
        return "One of these analyses was just deleted; pick another."
    results = [state.from_saved(found) for found in pair]
    for result in results:
        if state.get_result(result.id) is None:
            state.add_result(result)
    st.session_state["compare_a"], st.session_state["compare_b"] = (r.id for r in results)
    st.switch_page("app_pages/compare.py")
    return None


def render_pair_picker(store: Store, labels: dict[str, str], *, names: tuple[str, str],
                       key: str, button: str, b_index: int, primary: bool = False) -> None:
    """Two select boxes over saved analyses (token → label; widget keys `{key}_a`,
    `{key}_b`, `{key}_compare`) and a button that opens the pair in Compare."""
    tokens = list(labels)
    col_a, col_b = st.columns(2)
    first = col_a.selectbox(names[0], tokens, index=0, format_func=labels.get,
                            key=f"{key}_a")
    second = col_b.selectbox(names[1], tokens, index=b_index, format_func=labels.get,
                             key=f"{key}_b")
    if st.button(button, type="primary" if primary else "secondary", key=f"{key}_compare",
                 disabled=first == second or len(tokens) < 2):
        problem = open_saved_in_compare(store, first, second)
        if problem:
            st.error(problem, icon="⚠️")
