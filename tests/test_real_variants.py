"""synthetic.real_variants: derived clips keep their labels valid (scripts/evaluate_real.py
--variants scores real clips under changed filming conditions with them)."""

from __future__ import annotations

import json

import av
import numpy as np

from synthetic.real_variants import (
    DISTANT_FRAME_PX,
    DISTANT_RUNNER_FRACTION,
    FEET_CUT_FRACTION,
    make_variants,
    write_clip,
)


def _times_and_size(path):
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    return np.array([f.time for f in frames]), (frames[0].width, frames[0].height)


def _noise_clip_with_labels(folder, events, *, seed):
    """A 10-frame 128×96 clip of noise, run.mp4, with labels (facing left) beside it."""
    rng = np.random.default_rng(seed)
    pictures = [rng.integers(0, 255, (96, 128, 3), dtype=np.uint8) for _ in range(10)]
    clip = write_clip(folder / "run.mp4", pictures, np.arange(10) / 30, rate=30)
    labels = {"clip": "run.mp4", "fps": 30.0, "facing": "left", "near_side": "left",
              "events": events}
    (folder / "run.events.json").write_text(json.dumps(labels))
    return clip, labels


def test_variants_carry_the_labels_over(tmp_path):
    clip, labels = _noise_clip_with_labels(
        tmp_path, [{"foot": "near", "event": "strike", "frame": 4, "time_s": 0.1333,
                    "confidence": "sure"},
                   {"foot": "far", "event": "toe_off", "frame": 3, "time_s": 0.1,
                    "confidence": "sure"}], seed=0)
    variants = {v.name: v for v in make_variants(clip, tmp_path / "out", runner_px=48)}
    assert set(variants) == {"distant_crossing", "mirrored", "panning", "dropped_frames",
                             "low_quality",
                             "small_and_hard", "feet_cut_off", "feet_at_edge", "low_light",
                             "slow_motion_2x", "slow_motion_2x_rate_given",
                             "resampled_25fps"}
    read = {name: json.loads(v.labels.read_text()) for name, v in variants.items()}
    with av.open(str(variants["mirrored"].clip)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    with av.open(str(clip)) as container:
        original = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(first - original[:, ::-1]).mean() < 0.3 * np.abs(first - original).mean()
    for name, data in read.items():
        if name != "resampled_25fps":
            assert data["events"] == labels["events"], name  # the same frames
    # 25 fps: the nearest of the 30 fps pictures 0 1 2 4 5 6 7 8, stamped steadily; the
    # strike (first touching, picture 4) is new frame 3, the toe-off (last touching,
    # picture 3, not kept) the last kept picture before it, new frame 2
    times, _ = _times_and_size(variants["resampled_25fps"].clip)
    assert len(times) == 8 and np.allclose(np.diff(times), 1 / 25, atol=2e-3)
    assert read["resampled_25fps"]["fps"] == 25.0
    assert [(e["event"], e["frame"]) for e in read["resampled_25fps"]["events"]] == [
        ("strike", 3), ("toe_off", 2)]
    # mirrored: faces the other way, so the camera sees the other side
    assert (read["mirrored"]["facing"], read["mirrored"]["near_side"]) == ("right", "right")
    assert read["panning"]["near_side"] == "left"
    # slow motion: the same frames stored at half the rate; the labels count those frames
    times, _ = _times_and_size(variants["slow_motion_2x"].clip)
    assert np.allclose(np.diff(times), 2 / 30, atol=2e-3)
    assert read["slow_motion_2x"]["fps"] == 15.0
    assert variants["slow_motion_2x_rate_given"].cli_args == ("--capture-fps", "30")
    # dropped frames keep their own times, so the labels' frame / 30 still holds
    times, _ = _times_and_size(variants["dropped_frames"].clip)
    assert len(times) == 8 and np.allclose(times, np.array([0, 1, 2, 3, 5, 6, 7, 8]) / 30,
                                           atol=2e-3)
    assert read["dropped_frames"]["fps"] == 30.0
    _, size = _times_and_size(variants["feet_cut_off"].clip)
    assert size == (128, int(96 * (1 - FEET_CUT_FRACTION)) // 2 * 2)
    _, size = _times_and_size(variants["low_quality"].clip)
    assert size == (64, 48)
    _, size = _times_and_size(variants["small_and_hard"].clip)
    assert size == (42, 32)
    with av.open(str(variants["low_light"].clip)) as container:  # darker, same size
        dark = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    assert dark.shape == original.shape and dark.mean() < 0.7 * original.mean()


def _patch_columns(path):
    """Per frame, the first and last column of the (textured) shrunk clip in the wide frame."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(video=0)]
    spans = []
    for frame in frames:
        textured = np.flatnonzero(frame.std(axis=0).mean(axis=1) > 20)
        spans.append((textured.min(), textured.max()))
    return frames[0].shape, spans


def test_distant_crossing_shrinks_the_runner_and_moves_him_the_way_he_faces(tmp_path):
    clip, labels = _noise_clip_with_labels(
        tmp_path, [{"foot": "near", "event": "strike", "frame": 4, "time_s": 0.1333,
                    "confidence": "sure"}], seed=1)
    # a 48 px runner becomes 1/6 of 720 px: the 96×128 picture is scaled 2.5× to 240×320
    variant = {v.name: v for v in make_variants(clip, tmp_path / "out", runner_px=48)}[
        "distant_crossing"]
    shape, spans = _patch_columns(variant.clip)
    assert (shape[1], shape[0]) == DISTANT_FRAME_PX
    assert DISTANT_RUNNER_FRACTION * DISTANT_FRAME_PX[1] / 48 == 2.5
    widths = [last - first + 1 for first, last in spans]
    assert all(abs(w - 320) <= 4 for w in widths), widths
    # he faces left: from the right edge to the left edge over the clip
    assert spans[0][1] >= DISTANT_FRAME_PX[0] - 3 and spans[-1][0] <= 2
    assert all(b[0] < a[0] for a, b in zip(spans, spans[1:], strict=False))
    assert json.loads(variant.labels.read_text())["events"] == labels["events"]


def test_runner_height_is_measured_on_the_pictures(tmp_path):
    from gait.video import iter_frames
    from synthetic.real_variants import runner_height_px
    from synthetic.render_runner import make_clip

    path, _ = make_clip(tmp_path, fps=30, direction=+1, treadmill=True, seconds=1.0,
                        frame_size=(640, 480), body_height_px=300.0, seed=3)
    pictures = [frame.rgb for frame in iter_frames(path)]
    # the skeleton runs from the eyes to the heels: most of the body's height
    assert 0.85 * 300 <= runner_height_px(pictures) <= 1.0 * 300
    assert runner_height_px([np.zeros((480, 640, 3), np.uint8)] * 3) is None


def test_only_the_variants_asked_for_are_made(tmp_path):
    pictures = [np.full((64, 96, 3), 40 * i, np.uint8) for i in range(6)]
    clip = write_clip(tmp_path / "run.mp4", pictures, np.arange(6) / 30, rate=30)
    labels = tmp_path / "elsewhere.events.json"  # labels kept apart from the clip
    labels.write_text(json.dumps({"clip": "run.mp4", "fps": 30.0, "facing": "right",
                                  "near_side": "right", "events": []}))
    made = make_variants(clip, tmp_path / "out", labels_path=labels,
                         only={"mirrored", "slow_motion_2x_rate_given"})
    assert [v.name for v in made] == ["mirrored", "slow_motion_2x_rate_given"]
    assert all(v.labels is not None and v.labels.exists() for v in made)
    assert made[1].clip.exists()  # the slowed clip it analyses is made too
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp4")) == [
        "run__mirrored.mp4", "run__slow_motion_2x.mp4"]
