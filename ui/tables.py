"""Tables of saved analyses for the History and Squad pages (pure pandas).

Cells hold plain text and numbers (st.dataframe shows them as text, never as markup);
links are absolute URLs made by the caller's `link(token)`. st.dataframe offers its
cells as a CSV download (Streamlit has no switch to turn that off), so text a user
typed is made spreadsheet-safe here (`spreadsheet_safe`): a cell a spreadsheet would
run as a formula gets a leading `'`. Numeric columns stay numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from gait.quality import CAMERA_LOW_FLAG

FLAG_WORDS = {  # the trust verdict (gait.reliability), then gait.quality flag ids
    "not_reliable": "NOT RELIABLE", "use_with_care": "use with care",
    "low_frame_rate": "low frame rate", "few_strides": "few strides",
    "short_clip": "short clip", "not_side_on": "camera not side-on",
    "runner_small": "runner small in frame", "far_leg_occluded": "far leg hidden",
    "swaps_repaired": "legs swapped (repaired)", "gaps": "gaps in tracking",
    "strides_dropped": "strides dropped", "one_side_view": "one side view",
    "repeated_frames": "repeated frames", "damaged_video": "damaged video file",
    "several_people": "another person in view", "runner_few_pixels": "runner too few pixels",
    "picture_levelled": "picture levelled", "feet_outside_frame": "feet outside the picture",
    "feet_at_bottom_edge": "feet at the picture's edge",
    "scene_cuts": "cuts: one shot analysed",
    CAMERA_LOW_FLAG: "phone low: thigh angles not compared",
}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """`cell` unless it is text a spreadsheet would treat as a formula (starting with
    = + - @ tab or CR, e.g. `=HYPERLINK(…)`): then with a leading `'`, which shows the
    text as typed (OWASP's CSV-injection advice). Numbers pass unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def safe_text_columns(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with every non-numeric column's text cells made spreadsheet-safe;
    numeric columns untouched, so negative numbers stay numbers."""
    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_safe)
    return safe


def flag_text(flags: list[str] | None) -> str:
    """Quality flags in words (the always-present one-side-view note is left out)."""
    return ", ".join(FLAG_WORDS.get(f, f.replace("_", " ")) for f in flags or []
                     if f != "one_side_view")


def phone_low(rows: pd.DataFrame) -> np.ndarray:
    """Per row (history, squad or workshop board, with its `flags` lists): the user said
    the phone was low, so its thigh angles are not comparable with hip-height runs."""
    return np.array([CAMERA_LOW_FLAG in (flags or []) for flags in rows["flags"]], dtype=bool)


def _figures(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """The figures of each row, the near leg's extension and its reference first (the
    far leg reads 3–5° low: the near leg's is the figure to compare)."""
    near = rows["near_side"]
    left = rows["peak_thigh_extension_left_deg"].astype(float).round(1)
    right = rows["peak_thigh_extension_right_deg"].astype(float).round(1)
    return {
        "near leg": near,
        "near leg ext. (°)": left.where(near == "left", right.where(near == "right")),
        "reference (°)": rows["reference_peak_thigh_extension_deg"].astype(float).round(1),
        "cadence (steps/min)": rows["cadence_spm"].astype(float).round(0),
        "left leg ext. (°)": left,
        "right leg ext. (°)": right,
        "L − R (°)": rows["thigh_extension_left_minus_right_deg"].astype(float).round(1),
        "speed (km/h)": (rows["speed_mps"].astype(float) * 3.6).round(1),
        "strides": rows["n_strides"],
    }


def history_table(history: pd.DataFrame, *, link: Callable[[str], str]) -> pd.DataFrame:
    """One row per saved analysis, newest first."""
    rows = history.iloc[::-1]
    return safe_text_columns(pd.DataFrame({"filmed on": rows["recorded_on"].astype(str),
                                           "open": rows["token"].map(link),
                                           "note": rows["note"],
                                           "flags": rows["flags"].map(flag_text),
                                           **_figures(rows)}))


def squad_table(squad: pd.DataFrame, *, analysis_link: Callable[[str], str],
                history_link: Callable[[str], str]) -> pd.DataFrame:
    """One row per squad athlete: their latest analysis."""
    return safe_text_columns(pd.DataFrame({
        "athlete": squad["athlete_name"], "latest": squad["recorded_on"].astype(str),
        "latest analysis": squad["token"].map(analysis_link),
        "history": squad["athlete_token"].map(history_link),
        "analyses": squad["n_analyses"], **_figures(squad),
        "flags": squad["flags"].map(flag_text),  # last: long, and cut short in a cell
    }).reset_index(drop=True))
