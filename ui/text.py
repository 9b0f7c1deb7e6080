"""Words and numbers for the pages: honest labels, formatting, headline cards and
tables built from a `GaitReport.summary`. Pure functions, no Streamlit."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from gait.headline import (
    NO_SPEED_REFERENCE,
    NOT_JUDGED,
    TRUNK_THIGH_METRICS,
    Figure,
    event_timing_uncertainty_s,
    headline,
    within_uncertainty_words,
)
from gait.metric_catalogue import BY_KEY, COMPARED, TABLE_COLUMNS
from gait.pose_models import DEFAULT_POSE_MODEL
from gait.reference import (
    FAR_LEG_LOW_TEXT,
    LOW_CAMERA_NOT_COMPARED,
    interpret_difference_deg,
    interpret_difference_pct,
    withheld_for_low_camera,
)
from gait.report_parts import finite_or_none, rates_text, surface_text
from gait.result import AnalysisSummary

DASH = "–"
UNSOUND = "not reliable"  # instead of a ± interval when the verdict is not_reliable
# Which hip measure the charts show: key → (stride-table column, frame column part, label)
HIP_MEASURES = {
    "thigh": ("peak_thigh_extension_deg", "thigh",
              "Peak thigh extension (2D, thigh vs vertical)"),
    "trunk_thigh": ("peak_hip_extension_deg", "hip", "Peak trunk–thigh extension (2D)"),
}
HIP_AXIS = {"thigh": "° behind vertical", "trunk_thigh": "° behind the trunk line"}
NO_TRUNK_THIGH_REFERENCE = ("No reference data exist for the 2D trunk–thigh angle, so none "
                            "is drawn.")
STAGE_NAMES = {"queue": "Waiting for a free analysis slot", "sample": "Drawing the sample runner",
               "pose": "Finding the runner in each frame", "analysis": "Measuring the strides",
               "render": "Drawing the annotated video"}
# Overall progress: each stage's share of the bar (start, end)
STAGE_SPANS = {"queue": (0.0, 0.0), "sample": (0.0, 0.1), "pose": (0.1, 0.8),
               "analysis": (0.8, 0.82), "render": (0.82, 1.0)}


finite = finite_or_none  # None for None/NaN/inf/non-numbers


def md_escape(text: str | None) -> str:
    """User text made inert in Streamlit markdown: every ASCII punctuation character is
    backslash-escaped (no links, images, HTML, colour or icon directives), newlines
    become spaces."""
    text = " ".join(str(text or "").split())
    return "".join(f"\\{ch}" if ch in _MD_PUNCTUATION else ch for ch in text)


_MD_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def num(value, digits: int = 1, unit: str = "") -> str:
    v = finite(value)
    return DASH if v is None else f"{v:.{digits}f}{unit}"


def signed(value, digits: int = 1, unit: str = "") -> str:
    """+1.2 / −1.2 (true minus sign); a value that rounds to zero shows as +0."""
    v = finite(value)
    if v is None:
        return DASH
    v = round(v, digits) or 0.0  # no "−0"
    return f"{v:+.{digits}f}{unit}".replace("-", "−")


def metric_name(metric: str) -> str:
    return BY_KEY[metric].name if metric in BY_KEY else metric


def metric_unit(metric: str) -> str:
    return BY_KEY[metric].unit if metric in BY_KEY else ""


def interpretation(metric: str, difference, reference) -> str:
    d = finite(difference)
    if d is None:
        return DASH
    if metric.endswith("_deg"):
        return interpret_difference_deg(d)
    ref = finite(reference)
    return interpret_difference_pct(100 * d / ref) if ref else DASH


def progress_text(stage: str, fraction: float, eta_s: float | None) -> tuple[float, str]:
    """Overall bar value (0–1) and its text for an engine progress report. The text's
    percentage is the bar's (the whole analysis), the time left is the stage's."""
    start, end = STAGE_SPANS.get(stage, (0.0, 1.0))
    fraction = min(max(fraction, 0.0), 1.0)
    overall = start + (end - start) * fraction
    text = f"{STAGE_NAMES.get(stage, stage)} · {100 * overall:.0f} % done"
    if eta_s is not None and fraction < 1:
        text += f" · this step about {max(eta_s, 1):.0f} s more"
    return overall, text


@dataclass(frozen=True)
class Card:
    """One headline figure: value ± uncertainty, what it is compared with, in words."""

    key: str
    label: str
    value: str
    detail: str
    words: str
    colour: str = "gray"
    help: str = ""


def _pm(ci: float | None, sound: bool, digits: int = 1, unit: str = "°") -> str:
    """' ± 1.2°', or nothing when the figures are not sound (the card's detail line then
    starts with "not reliable": in the big value it was cut off in narrow columns)."""
    if not sound:
        return ""
    return f" ± {ci:.{digits}f}{unit}" if ci is not None else ""


def _unsound(cards: list[Card], sound: bool) -> list[Card]:
    """Cards of a not-reliable analysis say so first on their detail line."""
    if sound:
        return cards
    return [replace(card, detail=f"{UNSOUND} · {card.detail}") for card in cards]


BAND_COLOURS = {"noise": "green", "possible": "orange", "likely": "red"}


def _angle_card(figure: Figure, key: str, label: str, sound: bool) -> Card:
    value = num(figure.median, 1, "°") + _pm(figure.ci95, sound)
    leg = f"{figure.side} (near) leg"
    if figure.compared:
        detail = (f"{leg} · {signed(figure.difference, 1, '°')} vs reference "
                  f"{num(figure.reference)}°")
        return Card(key, label, value, detail, figure.words,
                    BAND_COLOURS.get(figure.band, "gray"), BY_KEY[figure.metric].definition)
    kind = ("2D hip angle" if figure.metric in TRUNK_THIGH_METRICS
            else "no reference" if figure.words == NO_SPEED_REFERENCE else "not compared")
    return Card(key, label, value, f"{leg} · {kind}", figure.words, "gray",
                BY_KEY[figure.metric].definition)


def headline_cards(summary: AnalysisSummary, *, sound: bool = True) -> list[Card]:
    """Cadence, near-leg peak thigh extension, thigh and trunk–thigh ranges, symmetry
    (`gait.headline`). `sound` False (verdict not_reliable): no ±, and every detail line
    starts with "not reliable"."""
    top = headline(summary, sound=sound)
    cadence = top.cadence
    cards = [Card(
        "cadence", "Cadence, steps/min", num(cadence.median, 0) + _pm(cadence.ci95, sound, 0, ""),
        (f"{signed(cadence.difference, 0)} vs reference {num(cadence.reference, 0)}"
         if cadence.compared else "no reference" if cadence.words == NO_SPEED_REFERENCE
         else "not compared"),
        cadence.words, "gray", BY_KEY["cadence_spm"].definition)]
    labels = {"peak_thigh_extension_deg": ("thigh_extension", "Peak thigh extension"),
              "thigh_rom_deg": ("thigh_rom", "Thigh range"),
              "hip_rom_deg": ("hip_rom", "Trunk–thigh range")}
    cards += [_angle_card(figure, *labels[figure.metric], sound) for figure in top.angles]
    sym = top.symmetry
    cards.append(Card(
        "symmetry", "Left − right",
        signed(sym.difference_deg, 1, "°") + _pm(sym.ci95_deg, sound),
        f"peak thigh extension · far leg: {top.far_side}",
        sym.words or DASH,
        BAND_COLOURS.get(sym.band, "gray"), "Left minus right median peak thigh extension. "
        f"From one side view the far leg reads {FAR_LEG_LOW_TEXT} low: film a pass in each "
        "direction to compare legs."))
    return _unsound(cards, sound)


def setup_line(summary: AnalysisSummary) -> str:
    """How the clip was filmed and which reference it is compared with, in one line."""
    speed = finite(summary.speed_mps)
    speed_text = (f"{speed:.2f} m/s ({speed * 3.6:.1f} km/h), {summary.speed_source}"
                  if speed else "speed unknown")
    direction = (summary.direction or DASH).replace("_", " ")
    model = summary.software.pose_model
    model = ("" if model == DEFAULT_POSE_MODEL else f" · pose model: BlazePose {model}"
             + (" (faster, less exact angles)" if model == "full" else ""))
    return (f"Near (camera-side) leg: **{summary.near_side}** · running {direction} · "
            f"{surface_text(summary)} · {rates_text(summary)} · "
            f"{speed_text}{model}")



def cleaning_sentences(summary: AnalysisSummary) -> list[str]:
    """What the cleaning did, in plain words."""
    c = summary.cleaning
    n = c.n_frames
    if not n:
        return []
    out = [f"{n} frames analysed; angles low-pass filtered at {num(c.cutoff_hz, 0)} Hz."]
    parts = [("frames_without_person", "had no runner detected"),
             ("swap_repaired_frames", "had the left and right legs mixed up by the pose model "
              "and were repaired"),
             ("gap_filled_frames", "had short gaps filled by interpolation"),
             ("unfilled_frames", "had gaps too long to fill (left out)"),
             ("foot_outside_frame_frames", "had a foot outside the picture (the pose "
              "model's guess there was ignored)")]
    for field, words in parts:
        k = int(getattr(c, field))
        if k:
            out.append(f"{k} frames ({100 * k / n:.1f} %) {words}.")
    gated = finite(c.gated_fraction)
    if gated:
        out.append(f"{100 * gated:.1f} % of keypoints were too uncertain and were ignored.")
    return out


def comparison_table(summary: AnalysisSummary, *, sound: bool = True) -> pd.DataFrame:
    """Both legs' medians ± ci95 next to the reference (difference for the near leg);
    `sound` False: "(not reliable)" instead of the ±."""
    top = headline(summary, sound=sound)
    near, far = top.near_side, top.far_side
    rows = []
    for near_figure, far_figure in ((top.cadence, top.cadence), *top.rows):
        metric = near_figure.metric
        unit = metric_unit(metric)
        digits = 0 if metric == "cadence_spm" else 3 if unit == "s" else 1
        if metric == "cadence_spm":
            near_v = far_v = num(near_figure.median, 0)
        else:
            near_v, far_v = (f"{num(f.median, digits)} "
                             + (f"± {num(f.ci95, digits)}" if sound else f"({UNSOUND})")
                             for f in (near_figure, far_figure))
        meaning = (near_figure.words
                   if near_figure.compared or near_figure.words == LOW_CAMERA_NOT_COMPARED
                   else "no reference for trunk–thigh" if "hip" in metric else DASH)
        rows.append({"measure": f"{metric_name(metric)} ({unit})", f"{near} (near)": near_v,
                     f"{far} (far)": far_v, "reference": num(near_figure.reference, digits),
                     "near − reference": signed(near_figure.difference, digits),
                     "meaning": meaning or DASH})
    return pd.DataFrame(rows)


STRIDE_TABLE_COLUMNS = ("side", "stride", "start_s", *TABLE_COLUMNS)


def _stride_table_digits(col: str) -> int | None:
    """The decimals a stride-table column is rounded to and shown with (None: not a
    measure)."""
    if col.endswith("_deg"):
        return 1
    if col in ("start_s", "confidence"):
        return 2
    return 3 if col.endswith("_s") else None


def _stride_table_columns(strides: pd.DataFrame) -> list[str]:
    return [c for c in STRIDE_TABLE_COLUMNS if c in strides.columns]


def _stride_table_names(cols: list[str]) -> dict[str, str]:
    return {"side": "Leg", "stride": "Stride", "start_s": "Starts at s",
            **{c: BY_KEY[c].short for c in cols if c in BY_KEY}}


def stride_table(strides: pd.DataFrame) -> pd.DataFrame:
    """The stride table with readable headers, ordered by time. Every measure is a float
    column, a missing value NaN (a None would make it a column of text): the page shows
    NaN as DASH (st.dataframe's `placeholder`) and the column still sorts as numbers."""
    cols = _stride_table_columns(strides)
    table = strides.sort_values("start_s", kind="stable")[cols].reset_index(drop=True)
    for col in cols:
        if col not in ("side", "stride"):
            table[col] = table[col].astype(float)  # None → NaN
        digits = _stride_table_digits(col)
        if digits is not None:
            table[col] = table[col].round(digits)
    return table.rename(columns=_stride_table_names(cols))


def stride_table_formats(strides: pd.DataFrame) -> dict[str, str]:
    """printf formats of stride_table's number columns, by header: the digits it rounds
    to, kept when they are zeros (a bare 22 beside 21.7 reads as a different kind of
    figure)."""
    cols = _stride_table_columns(strides)
    names = _stride_table_names(cols)
    return {names[c]: f"%.{_stride_table_digits(c)}f" for c in cols
            if _stride_table_digits(c) is not None}


def picked_stride_line(side: str, stride: int, start_s: float, *, has_video: bool) -> str:
    """Beside the stride table once a stride is picked (in the table, the chart or the
    list): where it went. On a phone the video and the chart are screens above the table,
    so picking a row would otherwise seem to do nothing."""
    where = (f"Video above: now at {side} leg stride {stride}" if has_video
             else f"Chart above: {side} leg stride {stride} marked")
    return f"{where} ({side} foot strike at {start_s:.2f} s)."


def difference_rows(a: AnalysisSummary, b: AnalysisSummary, *, side_a: str, side_b: str,
                    sound: bool = True) -> pd.DataFrame:
    """B − A for each compared measure, with the combined uncertainty and its meaning;
    `sound` False (either analysis not reliable): "not reliable" instead of the ±, and no
    difference is judged. Thigh and knee angles of two runs of which one was filmed with
    the phone low are not judged either."""
    low = [tag for tag, summary in (("A", a), ("B", b)) if summary.options.camera_low]
    rows = []
    for metric in ("cadence_spm", *COMPARED):
        if metric == "cadence_spm":
            va, vb = finite(a.cadence_spm), finite(b.cadence_spm)
            ca, cb = finite(a.cadence_ci95_spm), finite(b.cadence_ci95_spm)
        else:
            sa, sb = a.side(side_a).figure(metric), b.side(side_b).figure(metric)
            va, vb, ca, cb = (finite(sa.median), finite(sb.median), finite(sa.ci95),
                              finite(sb.ci95))
        unit = metric_unit(metric)
        digits = 0 if metric == "cadence_spm" else 3 if unit == "s" else 1
        diff = None if va is None or vb is None else vb - va
        combined = None if ca is None or cb is None else math.hypot(ca, cb)
        rows.append({"measure": f"{metric_name(metric)} ({unit})", "A": num(va, digits),
                     "B": num(vb, digits), "B − A": signed(diff, digits),
                     "± (95 %)": num(combined, digits) if sound else UNSOUND,
                     "meaning": (f"not judged: {low[0]}'s phone was low"
                                 if len(low) == 1 and withheld_for_low_camera(True, metric)
                                 else NOT_JUDGED if not sound and diff is not None
                                 else _meaning(metric, diff, va, combined, timing_s=max(
                                     event_timing_uncertainty_s(metric, s.capture_fps)
                                     for s in (a, b))))})
    return pd.DataFrame(rows)


def _meaning(metric: str, difference, reference, ci95: float | None, *,
             timing_s: float = 0.0) -> str:
    """The band of B − A in words; a difference the band calls real but that lies within
    its own 95 % interval (+ `timing_s`, a contact time's event timing) is "no clear
    difference" instead."""
    words = interpretation(metric, difference, reference)
    d = finite(difference)
    if (d is not None and ci95 is not None and abs(d) <= ci95 + timing_s
            and not words.startswith(("within measurement noise", "similar"))):
        return within_uncertainty_words(ci95, metric_unit(metric), timing_s=timing_s)
    return words


def readme_section(readme_text: str, marker: str = "ACCURACY") -> str:
    """Text between `<!-- MARKER -->` and `<!-- /MARKER -->` (or, without a closing
    marker, up to the next `<!--` comment or `## ` heading); '' if absent."""
    start = readme_text.find(f"<!-- {marker} -->")
    if start < 0:
        return ""
    body = readme_text[start + len(f"<!-- {marker} -->"):]
    end = body.find(f"<!-- /{marker} -->")
    if end < 0:
        stops = [m.start() for m in re.finditer(r"<!--|^## ", body, flags=re.M)]
        end = min(stops) if stops else len(body)
    return body[:end].strip()


# The README's accuracy section in plain words (its figures must appear there: a test
# checks each one, so that this summary cannot drift from what was measured).
ACCURACY_IN_SHORT = """In short, for runners (BlazePose heavy, the default pose model):

- **Steps and timing** — on real clips filmed by other people, treadmill and overground,
  with every foot strike and toe-off marked by hand (mostly by two people, and most clips
  held out until measured): the first clip's strides were found **15/16** and **16/16** a
  leg, and most others' as well; fewer only where a foot was hidden or out of the picture
  (a far leg hidden behind the near one: **2/6**). That is 14 clips filmed in real time
  (13 runners, 25–60 fps), and cadence was within 1.1 % on every one. Contact times were
  within a frame on about half the feet measured (**19 / 18 ms** on the first clip,
  **17 / 20 ms** on a second) but 2–4 frames off on others (**136 / 123 ms** on one):
  on 30 fps clips read contact times as rough. All three slow-motion clips were marked
  not reliable. The same runners made small, ~120 px tall crossing a wide frame:
  **49 of 51** and **48 of 50** strides. Dim light, heavy compression or a tiny runner
  lose strides; the verdict says so. The table below gives every clip.
- **Angles** — on rendered runners with known angles that were never used to tune
  HipDrive (varied bodies, clothes, cameras): near-leg peak thigh extension off by **1.4°**
  on average, **5.0°** at worst; the far leg reads about **3.2°** low. A tilted camera is
  levelled when straight vertical edges are in view behind the runner. The faster full
  model (live mode, or unticked under "Optional") is less exact: **2.4°**, **8.5°** at worst.
- **On real bodies** — two people who marked the joints by hand on a real clip found the
  pose model's thigh at toe-off **5.3°** off, reading less extension than theirs (a runner
  in loose shorts; 8° with the full model). Two more markers found it 1–3° off, but the
  four differ from each other by ~7° there: under loose shorts the hip joint is a guess
  for people too. On a runner in tight shorts, two others found it within **2.7°**; on a
  second labelled runner, whom no setting was tuned on, two more found it **3.4°** off at
  toe-off and **1.8°** at the knee's highest point, where they agree. That is why less
  extension than the reference counts as noise up to 13°. On the clip filmed from the
  floor (loose shorts) four passes found it **19.0°** short at toe-off: film at hip height.
  HipDrive cannot yet tell a low camera from the picture; when you say the phone was low,
  thigh and knee angles are shown but not compared with the reference.
"""


def accuracy_markdown(readme: Path) -> str:
    """README's accuracy section without its own heading (the page has one)."""
    try:
        section = readme_section(readme.read_text(encoding="utf-8"))
    except OSError:
        return ""
    return _without_heading(section)


def document_markdown(document: Path) -> str:
    """A whole markdown document (docs/accuracy.md) without its title; '' if missing."""
    try:
        return _without_heading(document.read_text(encoding="utf-8").strip())
    except OSError:
        return ""


def _without_heading(markdown: str) -> str:
    """`markdown` without its first heading; links to the repository's own files (which
    the app does not serve) become their plain names."""
    markdown = re.sub(r"\[([^\]]+)\]\((?!https?:)[^)\s]+\)", r"\1", markdown)
    return re.sub(r"\A#{1,6} [^\n]*\n+", "", markdown)


def slug(text: str | None) -> str:
    """A safe file-name part from a user's name or file name."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", Path(text or "").stem if text else "").strip("_")
    return cleaned[:40] or "run"
