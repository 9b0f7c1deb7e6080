"""`gait batch --clip-settings FILE.csv`: each clip's own settings (a squad's runners
differ in height and speed; one phone stood on the floor), read from a CSV a coach
writes in a spreadsheet.

- One row per clip. `clip` (required): the clip's path, relative to the CSV's folder (or
  absolute). Any of the other columns (CLIP_SETTING_COLUMNS) may be left out or left
  empty; an empty cell takes the command line's value.
- Units and values as the flags: `speed_m_per_s` (m/s), `height_m` (m), `capture_fps`
  (frames/s), `treadmill` (yes / no), `camera_height` (hip / low), `athlete` (a name,
  for `--save`). Checked with the same bounds as the flags (gait.result.AnalysisOptions).
- Every problem is one `AnalysisError` naming the file, the row (as a spreadsheet
  numbers it: the header is row 1) and the column, before any clip is analysed."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from gait.result import AnalysisError, AnalysisOptions, OptionError

OPTION_OF_COLUMN = {  # CSV column → AnalysisOptions field
    "speed_m_per_s": "speed_mps",
    "treadmill": "treadmill",
    "height_m": "height_m",
    "capture_fps": "capture_fps",
    "camera_height": "camera_height",
}
CLIP_SETTING_COLUMNS = ("clip", *OPTION_OF_COLUMN, "athlete")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")


@dataclass(frozen=True)
class ClipSettings:
    """One row: the options it sets (AnalysisOptions fields) and the athlete it names."""

    clip: Path  # resolved
    row: int  # as a spreadsheet numbers it (header = 1)
    options: dict
    athlete: str | None


def _where(csv_path: Path, row: int, column: str | None = None) -> str:
    return f"{csv_path.name}, row {row}" + (f", column {column}" if column else "")


def _value(csv_path: Path, row: int, column: str, text: str):
    """A cell's value in the unit of its AnalysisOptions field (checked there)."""
    if column == "treadmill":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise AnalysisError(f"{_where(csv_path, row, column)}: {text!r} — write yes or no")
    if column == "camera_height":
        return text.lower()
    try:
        return float(text)
    except ValueError:
        raise AnalysisError(f"{_where(csv_path, row, column)}: {text!r} is not a number"
                            ) from None


def read_clip_settings(csv_path: Path) -> list[ClipSettings]:
    """The rows of `csv_path`, in order (AnalysisError for an unreadable file, an unknown
    column, a bad value, a missing or repeated clip)."""
    if not csv_path.is_file():
        raise AnalysisError(f"--clip-settings {csv_path}: no such file")
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise AnalysisError(f"--clip-settings {csv_path}: cannot read it ({err}); give a "
                            "CSV file saved as UTF-8") from None
    header = [name.strip() for name in lines[0]] if lines else []
    if "clip" not in header:
        raise AnalysisError(f"--clip-settings {csv_path}: no 'clip' column; the first row "
                            f"names the columns: {', '.join(CLIP_SETTING_COLUMNS)}")
    unknown = [name for name in header if name not in CLIP_SETTING_COLUMNS]
    if unknown:
        raise AnalysisError(f"--clip-settings {csv_path}: unknown column {unknown[0]!r}; "
                            f"the columns are {', '.join(CLIP_SETTING_COLUMNS)}")
    rows, seen = [], {}
    for number, line in enumerate(lines[1:], start=2):
        if len(line) > len(header) and any(cell.strip() for cell in line[len(header):]):
            raise AnalysisError(f"{_where(csv_path, number)}: more cells than columns")
        cells = dict(zip(header, (cell.strip() for cell in line), strict=False))
        if not any(cells.values()):
            continue  # an empty line
        if not cells.get("clip"):
            raise AnalysisError(f"{_where(csv_path, number, 'clip')}: empty; name the clip")
        clip = (csv_path.parent / cells["clip"]).resolve()
        if not clip.is_file():
            raise AnalysisError(f"{_where(csv_path, number, 'clip')}: {cells['clip']} not "
                                f"found (paths are relative to {csv_path.parent.resolve()})")
        if clip in seen:
            raise AnalysisError(f"{_where(csv_path, number, 'clip')}: {cells['clip']} is "
                                f"already on row {seen[clip]}")
        seen[clip] = number
        options = {field: _value(csv_path, number, column, cells[column])
                   for column, field in OPTION_OF_COLUMN.items() if cells.get(column)}
        rows.append(ClipSettings(clip=clip, row=number, options=options,
                                 athlete=cells.get("athlete") or None))
    if not rows:
        raise AnalysisError(f"--clip-settings {csv_path}: no clips in it")
    return rows


def options_for_clip(base: AnalysisOptions, settings: ClipSettings | None,
                     csv_path: Path) -> AnalysisOptions:
    """`base` (the command line's options) with the row's values in place; a value out
    of the flags' bounds names its row and column."""
    if settings is None or not settings.options:
        return base
    try:
        return dataclasses.replace(base, **settings.options)
    except OptionError as err:
        column = next((c for c, f in OPTION_OF_COLUMN.items() if f == err.field), None)
        raise AnalysisError(f"{_where(csv_path, settings.row, column)}: {err}") from None
