"""A destructive button that needs a ticked confirmation, without losing the click.

The confirmation box and the button sit in one `st.form`: ticking the box does not rerun
the page, so a click that follows the tick at once is never lost to a rerun still in
flight (with a plain checkbox that enables a plain button, the button stays disabled
until the checkbox's rerun has come back, and a quick click vanished). The button is
always enabled; a click without the tick only says what is missing.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def confirmed_click(button_label: str, confirmation: str, *, key: str,
                    fields: Callable[[], object] | None = None,
                    ready: Callable[[object], str | None] | None = None) -> tuple[bool, object]:
    """Draw a form with optional `fields` (drawn first; their value is returned), the
    `confirmation` checkbox (key `<key>_sure`) and a `button_label` submit button (key
    `key`). Returns (clicked with the box ticked and `ready` satisfied, fields' value).
    `ready(value)` returns None when the fields are complete, else what to ask for."""
    with st.form(f"{key}_form", border=False, enter_to_submit=False):
        value = fields() if fields is not None else None
        sure = st.checkbox(confirmation, key=f"{key}_sure")
        clicked = st.form_submit_button(button_label, key=key)
    if not clicked:
        return False, value
    missing = ready(value) if ready is not None else None
    if missing is not None:
        st.warning(missing, icon="✋")
        return False, value
    if not sure:
        st.warning(f"Nothing was deleted: tick “{confirmation}” first.", icon="✋")
        return False, value
    return True, value
