"""A letterboxed clip (a black bar along the bottom, as phones share a wide video): the
picture ends at the bar, so feet coming down at the bar's edge are flagged as feet at
the bottom edge (a real held-out clip, the feet cut at its bar for a second, was not)."""

from __future__ import annotations

import numpy as np
import pytest

from gait.picture import picture_bottom_px
from gait.pipeline import analyze_video
from synthetic.real_variants import _decoded, write_clip
from synthetic.render_runner import make_clip


def sampled(*pictures: np.ndarray, step: int = 1) -> dict[int, tuple[int, np.ndarray]]:
    return {k: (step, p[::step, ::step]) for k, p in enumerate(pictures)}


def picture(rng, height=200, width=120, bar=0, level=16):
    rgb = rng.integers(40, 220, (height, width, 3), dtype=np.uint8)
    if bar:
        rgb[height - bar:] = level
    return rgb


def test_a_black_bar_along_the_bottom_ends_the_picture():
    rng = np.random.default_rng(0)
    bottom = picture_bottom_px(sampled(picture(rng, bar=30), picture(rng, bar=30)), 200)
    assert bottom == 170 and type(bottom) is int  # stored in summary.json
    # taken every 2 px: the bar's height in full-size pixels
    assert picture_bottom_px(sampled(picture(rng, bar=30), step=2), 200) == 170
    # video black with a little compression noise is still a bar
    noisy = picture(rng, bar=30)
    noisy[170:] += rng.integers(0, 6, (30, 120, 3), dtype=np.uint8)
    assert picture_bottom_px(sampled(noisy), 200) == 170


@pytest.mark.parametrize("case", ["no bar", "bar in one frame only", "dark textured ground",
                                  "all dark"])
def test_no_bar_is_found_where_the_picture_goes_on(case):
    rng = np.random.default_rng(1)
    frames = {
        "no bar": [picture(rng), picture(rng)],
        "bar in one frame only": [picture(rng, bar=30), picture(rng)],  # a dark moment
        "dark textured ground": [picture(rng)],
        "all dark": [np.full((200, 120, 3), 12, np.uint8)],
    }[case]
    if case == "dark textured ground":  # night: dark, but not flat
        frames[0][150:] = rng.integers(0, 40, (50, 120, 3), dtype=np.uint8)
    assert picture_bottom_px(sampled(*frames), 200) == 200


def test_feet_at_a_bars_edge_are_flagged_as_at_the_bottom_edge(tmp_path):
    """The rendered runner's picture cut just below his feet: with a black bar under it
    (the frame goes on) the feet are flagged as at the bottom edge, as without the bar;
    with the bar lower (ground below the feet) they are not."""
    clip, _ = make_clip(tmp_path, fps=30, seconds=4.0, seed=3, name="runner")
    pictures, times_s, rate = _decoded(clip)
    height = pictures[0].shape[0]
    track = analyze_video(clip, workers=1).track  # where the feet come down
    feet_row = int(np.nanpercentile(np.concatenate(
        [track.xy(f"{side}_{part}")[:, 1] for side in ("left", "right")
         for part in ("heel", "toe")]), 95))
    results = {}
    for name, picture_rows in (("cut at the feet", feet_row + 4),
                               ("ground below the feet", min(feet_row + 60, height))):
        barred = []
        for p in pictures:
            q = p.copy()
            q[picture_rows:] = 16
            barred.append(q)
        path = write_clip(tmp_path / f"{name.replace(' ', '_')}.mp4", barred, times_s, rate=rate)
        summary = analyze_video(path, workers=1).summary
        assert summary.video.picture_bottom_px == pytest.approx(picture_rows, abs=2)
        results[name] = set(summary.quality_ids)
    assert "feet_at_bottom_edge" in results["cut at the feet"]
    assert "feet_at_bottom_edge" not in results["ground below the feet"]
