"""Saving, sharing and deleting, as the pages show it.

Privacy by default: nothing is saved unless the runner ticks "Save it and get a share
link" on the Analyze page (off by default, always visible; squad invites and
workshops save and say so up front). A save keeps the numbers and pose landmarks
(that is what a share link shows); the original clip and the annotated video are kept
only if ticked. An unsaved analysis' annotated video lives in the session's folder
and is deleted when the result is removed or the tab is closed (`ui.service`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from gait.store import DatabaseUnavailable, FilesUnavailable, StoreError
from gait.store.analyses import DEFAULT_ATHLETE, MAX_NAME_CHARS, clean_text, squad_key
from ui import saved, state
from ui.confirm import confirmed_click
from ui.service import safe_suffix
from ui.text import md_escape
from ui.widgets import video_being_made

logger = logging.getLogger(__name__)
PRIVACY_NOTE = ("Saved: the figures, stride table and pose landmarks (no images), so the "
                "link can show the results. Your videos are **not** kept unless you tick "
                "them; whoever has the share link can view the analysis (and watch and "
                "download any video you kept); deleting it needs your owner's link.")
WORKSHOP_PRIVACY_NOTE = ("Saved for the room's board: the figures, stride table and pose "
                         "landmarks (no images, no video), deleted when the host closes "
                         "the workshop.")
DB_ERROR = ("Sorry — the analysis could not be saved (the database is not reachable). "
            "Your results are still here in this tab; try saving again in a minute.")
DB_UNREACHABLE = "The database is not reachable right now; try again in a minute."


@dataclass(frozen=True)
class SaveChoices:
    save: bool
    athlete: str
    note: str
    recorded_on: date
    keep_raw: bool
    keep_annotated: bool
    squad: bool
    workshop_id: int | None = None  # also put it on this workshop's board


def render_save_options(*, athlete: str, squad: bool, workshop_id: int | None = None
                        ) -> SaveChoices:
    """The Analyze page's save choice, shown on the page (never folded away) and off
    until ticked (the athlete name comes from its own field; `squad`: arrived through
    a valid invite). Squad invites and workshops always save: the box is ticked and
    locked, and the page says so before the upload."""
    forced = squad or workshop_id is not None
    save = st.checkbox("Save it and get a share link", value=forced, key="save_choice",
                       disabled=forced,
                       help="Saved results get a private link you can send; nothing is "
                            "public." + ("" if forced else " Unsaved results stay in this "
                                         "browser tab only."))
    if not (save or forced):
        st.caption("Not saved: the results stay in this browser tab only and nothing about "
                   "your run is kept on the server once you close it. You can still save "
                   "from the Results page.")
        return SaveChoices(save=False, athlete=athlete, note="", recorded_on=date.today(),
                           keep_raw=False, keep_annotated=False, squad=squad,
                           workshop_id=workshop_id)
    recorded_on = st.date_input("Filmed on", value=date.today(), key="save_date",
                                max_value=date.today(), format="YYYY-MM-DD")
    note = st.text_input("Note (optional)", key="save_note", max_chars=200,
                         placeholder="e.g. after 6 weeks of drills")
    keep_raw = keep_annotated = False
    if workshop_id is None:  # a workshop keeps no video (its banner says so)
        keep_raw = st.checkbox("Also keep my original video", value=False, key="keep_raw")
        keep_annotated = st.checkbox("Also keep the annotated video", value=False,
                                     key="keep_annotated")
    st.caption(WORKSHOP_PRIVACY_NOTE if workshop_id is not None else PRIVACY_NOTE)
    return SaveChoices(save=True, athlete=athlete, note=note,
                       recorded_on=recorded_on or date.today(), keep_raw=keep_raw,
                       keep_annotated=keep_annotated, squad=squad, workshop_id=workshop_id)


def save_result(result: state.SessionResult, choices: SaveChoices, *,
                clip_bytes: bytes | None = None, file_name: str | None = None
                ) -> state.SessionResult | None:
    """Save `result` (one transaction), keep the session's copy in step and return it;
    on failure show why and return None (the unsaved result stays in the session)."""
    athlete_token = None if choices.squad else _own_history(choices.athlete)
    try:
        with tempfile.TemporaryDirectory(prefix="hipdrive-save-") as tmp:
            raw = None
            if choices.keep_raw and clip_bytes is not None:
                raw = Path(tmp) / f"clip{safe_suffix(file_name)}"
                raw.write_bytes(clip_bytes)
            annotated = result.video_path if choices.keep_annotated else None
            receipt = saved.saved_store().save(
                result.report, athlete_name=choices.athlete, athlete_token=athlete_token,
                squad=choices.squad, recorded_on=choices.recorded_on, note=choices.note,
                source_name=file_name, raw_video=raw,
                annotated_video=annotated if annotated and os.path.exists(annotated) else None,
                workshop_id=choices.workshop_id)
    except (DatabaseUnavailable, FilesUnavailable, OSError):  # OSError: the temporary copy
        logger.exception("save failed")
        st.error(DB_ERROR, icon="⚠️")
        return None
    except StoreError as exc:  # written for the user (e.g. a name that is needed)
        st.error(str(exc), icon="⚠️")
        return None
    if not receipt.squad:  # a squad member's history link comes from the coach
        saved.remember_my_athlete(receipt.athlete_token, receipt.athlete_name)
    updated = dataclasses.replace(result, saved=receipt)
    state.replace_result(updated)
    return updated


def _own_history(name: str) -> str | None:
    """Where a private save goes: the history link this tab opened, else the history of
    the same name saved earlier from this tab, else (None) a new history."""
    linked = saved.linked_athlete()
    if linked is not None:
        return linked.token
    key = squad_key(clean_text(name, max_chars=MAX_NAME_CHARS) or DEFAULT_ATHLETE)
    mine = [token for token, known in saved.my_athletes().items() if squad_key(known) == key]
    return mine[-1] if mine else None


SAMPLE_NOT_SAVED = ("The sample run is a synthetic runner, so it cannot be saved: under a "
                    "runner's name it would join their history as a run of theirs. Analyse "
                    "your own clip to save and share it.")


def render_share_panel(result: state.SessionResult) -> None:
    """Results page: the links of a saved analysis (and delete, for whoever saved it in
    this session), or a form to save it."""
    st.subheader("Save and share")
    if result.saved is not None:
        render_links(result.saved.share_path,
                     None if result.saved.squad else result.saved.history_path,
                     delete_path=result.saved.delete_path)
        if render_delete(result.saved.token, key=f"delete_{result.id}",
                         delete_token=result.saved.delete_token):
            state.remove_result(result.id)  # and its unsaved annotated video, now
            st.rerun()
        return
    if result.is_sample:
        st.info(SAMPLE_NOT_SAVED)
        return
    with st.form(key=f"save_form_{result.id}", border=True):
        st.markdown("This analysis is only in this browser tab. Save it to get a link.")
        key = f"save_form_{result.id}"
        athlete = st.text_input("Runner's name", value=result.athlete or "", max_chars=80,
                                key=f"{key}_name")
        note = st.text_input("A note for this run", max_chars=200, key=f"{key}_note")
        recorded_on = st.date_input("Filmed on", value=date.today(), max_value=date.today(),
                                    format="YYYY-MM-DD", key=f"{key}_date")
        making = video_being_made(result.id)
        keep_annotated = st.checkbox(
            "Keep the annotated video too", value=False, disabled=result.video_path is None,
            key=f"{key}_keep",
            help=("The video is still being made: wait a few seconds to keep it."
                  if making else None if result.video_path else
                  "This analysis has no annotated video."))
        if making:
            st.caption("The annotated video is still being made: to keep it with the "
                       "analysis, save once it has appeared above (a few seconds).")
        st.caption(PRIVACY_NOTE + " (The original clip was deleted after the analysis.)")
        if st.form_submit_button("Save", type="primary"):
            choices = SaveChoices(save=True, athlete=athlete, note=note,
                                  recorded_on=recorded_on, keep_raw=False,
                                  keep_annotated=keep_annotated,
                                  squad=saved.invite_is_valid())
            if save_result(result, choices, file_name=result.report.summary.clip_name):
                st.rerun()


def render_links(share_path: str, history_path: str | None, *,
                 delete_path: str | None = None) -> None:
    """The links of a save. The delete link is shown only to whoever saved, in this tab:
    the database keeps only a hash of it."""
    st.success("Saved. Anyone with this link can open these results (read-only):")
    saved.show_link(share_path)
    if history_path is None:
        st.caption("Saved into your coach's squad. Your coach can send you your history "
                   "link (all your runs, with trends).")
    else:
        st.markdown("Your **history** link (every analysis saved under this name, with "
                    "trends) — keep it for next time:")
        saved.show_link(history_path)
    if delete_path is not None:
        st.markdown("Your **delete link** — for you only: whoever has it can delete this "
                    "analysis. Keep it if you may want to delete the analysis later: it "
                    "is shown only in this tab (the server keeps no copy). Send others "
                    "the share link above, never this one.")
        # wrapped, so that on a phone its "&delete=" shows it is not the share link
        st.code(saved.absolute_link(delete_path), language=None, wrap_lines=True)


def render_delete(token: str, *, key: str, delete_token: str | None = None,
                  by_host: bool = False) -> bool:
    """A delete button with a confirmation, for whoever holds the analysis's
    `delete_token` (or the coach: `by_host`); True once the analysis is deleted. Without
    either, says who can delete it."""
    if delete_token is None and not by_host:
        st.caption("Only whoever saved this analysis can delete it, with their delete "
                   "link; or ask the coach who hosts this app.")
        return False
    with st.expander("Delete this analysis"):
        st.markdown("This removes the results, the landmarks and any kept video for good; "
                    "the link stops working.")
        clicked, _ = confirmed_click("Delete", "Yes, delete it for good", key=key)
        if clicked:
            try:
                store = saved.saved_store()
                deleted = (store.delete(token, delete_token=delete_token)
                           if delete_token is not None else store.delete_by_host(token))
            except StoreError:
                logger.exception("delete failed")
                st.error(DB_UNREACHABLE + " Nothing was deleted.", icon="⚠️")
                return False
            if deleted:
                st.toast("Deleted.")
            return True
    return False


def athlete_line(name: str, recorded_on: date | None, note: str | None) -> str:
    """'**Runner:** name · filmed on … · note', user text escaped."""
    parts = [f"**Runner:** {md_escape(name)}"]
    if recorded_on:
        parts.append(f"filmed on {recorded_on.isoformat()}")
    if note:
        parts.append(f"*{md_escape(note)}*")
    return " · ".join(parts)
