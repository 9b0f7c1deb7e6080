"""Derived versions of a real labelled clip, with its hand labels carried over.

A real clip filmed one way says nothing about the same runner filmed another way. Each
variant here changes one filming condition of a real clip whose events are labelled
(`*.events.json`, the format of `../shared/real/README.md`) while keeping every label
valid, so the same labels score HipDrive under that condition:

- `mirrored`: flipped left↔right, so the runner runs the other way across the picture.
  The camera-side ("near") leg stays the camera-side leg; the labels keep their frames.
- `panning`: a smaller window moves over the picture (a hand-held pan and tilt: ±30 px
  sideways, ±18 px up and down, the feet kept in view), so the runner and the ground
  line move in the picture.
- `dropped_frames`: every 5th frame left out, the others keep their own timestamps
  (a busy phone, or a variable frame rate); labels stay in the original frame numbers
  (their time is frame / original rate).
- `resampled_25fps`: the clip as a 25 fps camera would have filmed it: for every 1/25 s
  the picture nearest in time (so a picture's time is off by up to half an original
  frame), stamped at a steady 25 fps. The labels move to the new frame numbers: a strike
  to the first kept picture at or after the labelled one (the first touching picture
  left), a toe-off to the last kept one at or before it.
- `low_quality`: half the size and strong compression (crf 33), like a clip sent
  through a messaging app.
- `small_and_hard`: a third of the size and very strong compression (crf 35): what is left
  of a clip after a messaging app's harshest setting.
- `feet_cut_off`: the bottom of the picture cut away (`FEET_CUT_FRACTION`), so the feet
  leave the picture whenever they are near the ground: a badly framed clip. The pose
  model still reports feet there; a correct analysis leaves those steps out and says why
  rather than timing events on guessed feet.
- `feet_at_edge`: less cut away (`FEET_AT_EDGE_FRACTION`): the edge runs through the
  soles of the feet on the ground. The pose model squeezes such a foot into the picture;
  a correct analysis at least flags that the feet come down at the edge.
- `low_light`: a dim room: the picture darkened to a fifth of its light (in linear
  light, then back to the clip's gamma), sensor noise added (σ `LOW_LIGHT_NOISE` grey
  levels, fixed seed) and compressed at crf `LOW_LIGHT_CRF`, as a phone films a
  treadmill in a dark garage.
- `distant_crossing`: a fixed wide camera far from the runner: the picture shrunk until
  the runner is `DISTANT_RUNNER_FRACTION` of a `DISTANT_FRAME_PX` frame's height (his
  height measured on the clip by `runner_height_px`; left out when he is that small
  already) and moved across that frame in the direction he faces, over a still backdrop
  of horizontal bands in the colours of the clip's first picture (row by row: no shape a
  pose model could take for a person). The crossing takes the whole clip, so it is
  slower than a real runner's: the stance foot slides back in the picture as on a moving
  walkway. Events are timed from the feet against the pelvis and from heights, which a
  sideways shift leaves unchanged, so the labels hold; the speed and surface read off
  the picture do not. A cut inside the small picture is too small to be found: an edited
  clip's copy is analysed as one shot.
- `slow_motion_2x`: the same frames stored at half the rate, so the clip plays 2× slower
  than it was filmed (a slow-motion export without its capture rate). Analysed once
  without and once with the capture rate stated.

Variants are written into a scratch folder: real clips are never copied into the
repository. Pure PyAV + numpy; used by `scripts/evaluate_real.py --variants`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from synthetic.encode import encode_clip

PAN_SIDEWAYS_PX, PAN_SIDEWAYS_PERIOD_S = 30.0, 4.0
PAN_UPDOWN_PX, PAN_UPDOWN_PERIOD_S = 18.0, 3.0
PAN_WINDOW_FRACTION = 0.9  # the moving window's size, of the picture's
PAN_WINDOW_LOW = 0.8  # where the window sits between the top (0) and the bottom (1): the
# feet are near the bottom of a running clip and must stay in view
DROP_EVERY_NTH = 5
RESAMPLED_RATE = 25.0  # fps: a European camera's rate
LOW_QUALITY_CRF = 33
SMALL_AND_HARD_CRF = 35
FEET_CUT_FRACTION = 0.12  # of the picture's height, cut from the bottom: feet out
FEET_AT_EDGE_FRACTION = 0.05  # … the edge through the soles of the feet on the ground
LOW_LIGHT_GAIN = 0.2  # of the light (linear), a dim room
LOW_LIGHT_NOISE = 6.0  # grey levels (SD) of sensor noise on the darkened picture
LOW_LIGHT_CRF = 28
GAMMA = 2.2
DISTANT_FRAME_PX = (1280, 720)  # width, height: a landscape phone or camera frame
DISTANT_RUNNER_FRACTION = 1 / 6  # the runner's skeleton height, of that frame's height


@dataclass(frozen=True)
class Variant:
    """A derived clip, the labels that hold for it and how to analyse it."""

    name: str
    clip: Path
    labels: Path | None
    cli_args: tuple[str, ...] = ()
    expect: str = ""  # what a correct analysis shows, in words


def _decoded(clip: Path) -> tuple[list[np.ndarray], np.ndarray, float]:
    """RGB pictures, their times (s) and the stream's frame rate."""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate)
        pictures, times = [], []
        for frame in container.decode(stream):
            pictures.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.time))
    times_s = np.array(times) - times[0]
    return pictures, times_s, rate


def write_clip(path: Path, pictures: Iterator[np.ndarray] | list[np.ndarray],
               times_s: np.ndarray, *, rate: float, crf: int = 18) -> Path:
    """H.264 mp4 with picture i stamped at times_s[i] (cropped to even sizes)."""
    return encode_clip(path, (pic[:pic.shape[0] // 2 * 2, :pic.shape[1] // 2 * 2]
                              for pic in pictures),
                       fps=Fraction(rate).limit_denominator(1001), times_s=times_s,
                       stream_options={"preset": "veryfast", "crf": str(crf)})


def _pan_window(picture: np.ndarray, time_s: float) -> np.ndarray:
    height, width = picture.shape[:2]
    win_h, win_w = int(height * PAN_WINDOW_FRACTION), int(width * PAN_WINDOW_FRACTION)
    x0 = (width - win_w) / 2 + PAN_SIDEWAYS_PX * np.sin(
        2 * np.pi * time_s / PAN_SIDEWAYS_PERIOD_S)
    y0 = (height - win_h) * PAN_WINDOW_LOW + PAN_UPDOWN_PX * np.sin(
        2 * np.pi * time_s / PAN_UPDOWN_PERIOD_S)
    x0 = int(np.clip(round(x0), 0, width - win_w))
    y0 = int(np.clip(round(y0), 0, height - win_h))
    return picture[y0:y0 + win_h, x0:x0 + win_w]


def _downscaled(picture: np.ndarray, factor: int) -> np.ndarray:
    """factor×factor block mean (a plain downscale to even sizes)."""
    step = 2 * factor
    h, w = picture.shape[0] // step * step, picture.shape[1] // step * step
    blocks = picture[:h, :w].reshape(h // factor, factor, w // factor, factor, 3)
    return blocks.astype(np.float32).mean(axis=(1, 3)).round().astype(np.uint8)


def _low_light(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The picture as filmed in a dim room: less light, then sensor noise."""
    linear = (picture.astype(np.float32) / 255.0) ** GAMMA * LOW_LIGHT_GAIN
    dark = 255.0 * linear ** (1 / GAMMA)
    noisy = dark + rng.normal(0.0, LOW_LIGHT_NOISE, size=picture.shape)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def _resized(picture: np.ndarray, width_px: int, height_px: int) -> np.ndarray:
    """The picture resized (area averaging when shrinking)."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    return frame.reformat(width=width_px, height=height_px, format="rgb24",
                          interpolation="AREA").to_ndarray()


def runner_height_px(pictures: list[np.ndarray], n_pictures: int = 12) -> float | None:
    """The runner's median skeleton height (px: the highest to the lowest keypoint MediaPipe
    full finds at confidence >= 0.5) on `n_pictures` evenly spaced pictures; None if he is
    not found on any."""
    from gait.pose import MediaPipePose

    heights = []
    with MediaPipePose(static_image_mode=True, model="full") as estimator:
        for i in np.linspace(0, len(pictures) - 1, min(n_pictures, len(pictures))).astype(int):
            _, y_px, confidence = estimator.estimate(pictures[i], 0.0)
            seen = y_px[confidence >= 0.5]
            if seen.size >= 10:
                heights.append(float(seen.max() - seen.min()))
    return float(np.median(heights)) if heights else None


def _distant_size(picture_shape: tuple[int, ...], runner_px: float) -> tuple[int, int] | None:
    """(width, height) of a picture shrunk so a `runner_px` runner in it is
    `DISTANT_RUNNER_FRACTION` of the wide frame's height; None if it would not fit the
    frame (the runner is small in it already)."""
    frame_w, frame_h = DISTANT_FRAME_PX
    scale = DISTANT_RUNNER_FRACTION * frame_h / runner_px
    width, height = int(picture_shape[1] * scale) // 2 * 2, int(picture_shape[0] * scale) // 2 * 2
    return (width, height) if 2 <= width <= frame_w and 2 <= height <= frame_h else None


def _distant_crossing(pictures: list[np.ndarray], times_s: np.ndarray, *,
                      size_px: tuple[int, int], facing: str) -> Iterator[np.ndarray]:
    """`distant_crossing` (module docstring): each picture shrunk to `size_px` (width,
    height; `_distant_size`) and moved across the wide frame."""
    frame_w, frame_h = DISTANT_FRAME_PX
    small_w, small_h = size_px
    rows = pictures[0].mean(axis=1, keepdims=True).round().astype(np.uint8)  # (h, 1, 3)
    backdrop = _resized(np.repeat(rows, 2, axis=1), frame_w, frame_h)
    y0 = (frame_h - small_h) // 2
    duration_s = max(float(times_s[-1]), 1e-9)
    for picture, time_s in zip(pictures, times_s, strict=True):
        progress = time_s / duration_s if facing != "left" else 1 - time_s / duration_s
        x0 = int(round(progress * (frame_w - small_w)))
        frame = backdrop.copy()
        frame[y0:y0 + small_h, x0:x0 + small_w] = _resized(picture, small_w, small_h)
        yield frame


def _nearest_pictures(times_s: np.ndarray, rate: float, new_rate: float) -> np.ndarray:
    """For a steady `new_rate` over the clip, the index of the picture nearest each new
    frame's time (pictures assumed at `rate`)."""
    n_new = int(np.floor(times_s[-1] * new_rate + 1e-9)) + 1
    return np.minimum(np.round(np.arange(n_new) * rate / new_rate).astype(int),
                      len(times_s) - 1)


def _resampled_labels(labels: dict, kept: np.ndarray, new_rate: float) -> dict:
    """Labels in the resampled clip's frame numbers: a strike (the first touching
    picture) moves to the first kept picture at or after it, a toe-off (the last touching
    one) to the last kept picture at or before it."""
    events = []
    for event in labels["events"]:
        if event["event"] == "strike":
            new_frame = int(np.searchsorted(kept, event["frame"], side="left"))
        else:
            new_frame = int(np.searchsorted(kept, event["frame"], side="right")) - 1
        if 0 <= new_frame < len(kept):
            events.append(dict(event, frame=new_frame, time_s=round(new_frame / new_rate, 4)))
    notes = labels.get("notes", "").replace(
        "events unchanged", f"events moved to the {new_rate:g} fps frame numbers")
    return dict(labels, events=events, fps=new_rate, n_frames=len(kept), notes=notes)


def _labels_for(labels: dict, *, clip_name: str, mirrored: bool, note: str,
                fps: float | None) -> dict:
    """The labels, for the derived clip. A mirrored runner faces the other way and so
    shows the camera the other side: the near leg stays near, its side name flips.
    `fps`: the rate the labels' frame numbers count at, when the frames are the same
    but stored at another rate."""
    out = dict(labels, clip=clip_name, fps=fps or labels["fps"])
    if mirrored:
        flip = {"left": "right", "right": "left"}
        out["facing"] = flip.get(labels.get("facing"), "")
        out["near_side"] = flip[labels["near_side"]]
    out["notes"] = f"{note} Derived from {labels['clip']}; events unchanged. " + labels.get(
        "notes", "")
    return out


def make_variants(clip: Path, out_dir: Path, *, labels_path: Path | None = None,
                  only: set[str] | None = None,
                  runner_px: float | None = None) -> list[Variant]:
    """Write every variant of `clip` (or those named in `only`), and of its labels
    (`labels_path`, default `<stem>.events.json` beside it, if there), into `out_dir`.
    `runner_px`: the runner's skeleton height in the clip (default: measured,
    `runner_height_px`); without it `distant_crossing` is left out."""
    out_dir.mkdir(parents=True, exist_ok=True)
    labels_path = labels_path or clip.with_name(f"{clip.stem}.events.json")
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else None
    wanted = set(only) if only is not None else None
    if wanted is not None and "slow_motion_2x_rate_given" in wanted:
        wanted.add("slow_motion_2x")  # the same clip, analysed with its capture rate
    pictures, times_s, rate = _decoded(clip)
    if labels is not None:
        rate = float(labels["fps"])  # the stream's average rate is rounded on short clips

    def variant(name: str, make: Callable[[Path], None], *, mirrored: bool = False,
                labels_fps: float | None = None,
                cli_args: tuple[str, ...] = (), expect: str = "",
                relabel: Callable[[dict], dict] | None = None, note: str = "") -> Variant | None:
        if wanted is not None and name not in wanted:
            return None
        path = out_dir / f"{clip.stem}__{name}.mp4"
        make(path)
        label_file = None
        if labels is not None:
            label_file = path.with_suffix(".events.json")
            carried = _labels_for(labels, clip_name=path.name, mirrored=mirrored, note=note,
                                  fps=labels_fps)
            label_file.write_text(json.dumps(relabel(carried) if relabel else carried))
        return Variant(name, path, label_file, cli_args, expect)

    kept = [i for i in range(len(pictures)) if i % DROP_EVERY_NTH != DROP_EVERY_NTH - 1]
    at_25fps = _nearest_pictures(times_s, rate, RESAMPLED_RATE)
    rng = np.random.default_rng(7)
    slow = out_dir / f"{clip.stem}__slow_motion_2x.mp4"
    if wanted is None or "distant_crossing" in wanted:
        runner_px = runner_px or runner_height_px(pictures)
    distant_size = _distant_size(pictures[0].shape, runner_px) if runner_px else None
    facing = labels.get("facing", "") if labels is not None else ""
    distant = [variant("distant_crossing", lambda p: write_clip(
        p, _distant_crossing(pictures, times_s, size_px=distant_size, facing=facing),
        times_s, rate=rate),
        note=f"Shrunk to a {DISTANT_RUNNER_FRACTION * DISTANT_FRAME_PX[1]:.0f} px runner "
             f"crossing a fixed {DISTANT_FRAME_PX[0]}×{DISTANT_FRAME_PX[1]} frame.")
    ] if distant_size else []
    made = [
        variant("mirrored", lambda p: write_clip(p, (pic[:, ::-1] for pic in pictures), times_s,
                                                 rate=rate),
                mirrored=True, note="Mirrored left-right."),
        variant("panning", lambda p: write_clip(
            p, (_pan_window(pic, t) for pic, t in zip(pictures, times_s, strict=True)),
            times_s, rate=rate), note="A moving window (pan and tilt)."),
        variant("dropped_frames", lambda p: write_clip(
            p, (pictures[i] for i in kept), times_s[kept],
            rate=rate * (DROP_EVERY_NTH - 1) / DROP_EVERY_NTH),
            note=f"Every {DROP_EVERY_NTH}th frame left out; times kept."),
        variant("resampled_25fps", lambda p: write_clip(
            p, (pictures[i] for i in at_25fps), np.arange(len(at_25fps)) / RESAMPLED_RATE,
            rate=RESAMPLED_RATE),
            relabel=lambda lab: _resampled_labels(lab, at_25fps, RESAMPLED_RATE),
            note=f"Resampled to a steady {RESAMPLED_RATE:g} fps (nearest pictures)."),
        variant("low_quality", lambda p: write_clip(
            p, (_downscaled(pic, 2) for pic in pictures), times_s, rate=rate, crf=LOW_QUALITY_CRF),
            note="Half size, crf 33."),
        variant("small_and_hard", lambda p: write_clip(
            p, (_downscaled(pic, 3) for pic in pictures), times_s, rate=rate,
            crf=SMALL_AND_HARD_CRF), note="A third of the size, crf 35."),
        variant("feet_cut_off", lambda p: write_clip(
            p, (pic[:int(pic.shape[0] * (1 - FEET_CUT_FRACTION))] for pic in pictures),
            times_s, rate=rate),
            expect="few strides, the feet_outside_frame flag, no strides timed on guessed feet",
            note="Bottom of the picture cut away (feet out of view)."),
        variant("feet_at_edge", lambda p: write_clip(
            p, (pic[:int(pic.shape[0] * (1 - FEET_AT_EDGE_FRACTION))] for pic in pictures),
            times_s, rate=rate),
            expect="the feet_at_bottom_edge flag", note="Bottom of the picture cut away a "
            "little (the edge through the soles)."),
        variant("low_light", lambda p: write_clip(
            p, (_low_light(pic, rng) for pic in pictures), times_s, rate=rate,
            crf=LOW_LIGHT_CRF), note="Darkened to a fifth of the light, noise, crf 28."),
        variant("slow_motion_2x", lambda p: write_clip(p, pictures, 2 * times_s, rate=rate / 2),
                labels_fps=rate / 2 if labels is not None else None,
                expect="not_reliable: slow motion (or refused)",
                note="Stored at half the rate (2x slow)."),
        Variant("slow_motion_2x_rate_given", slow,
                slow.with_suffix(".events.json") if labels is not None else None,
                ("--capture-fps", f"{rate:.6g}"),
                "the original clip's figures (capture rate stated)"),
        *distant,
    ]
    return [v for v in made if v is not None and (only is None or v.name in only)]
