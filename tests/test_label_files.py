"""Every committed event-label file (tests/data/real_tracks/*.events*.json) is well formed,
so that scripts/evaluate_real.py and the labels' scorer read what the labeller meant:
known feet and events, frames inside the clip (and inside `labelled_frames` when given),
times that agree with frame / fps, each event's certainty, and per foot strikes and
toe-offs that alternate wherever both were labelled, except across a declared `gaps` range
(frames inside `labelled_frames` where the labeller left events out and says why)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "real_tracks"
LABEL_FILES = sorted(DATA.glob("*.events*.json"))


def test_there_are_label_files_of_several_runners():
    runners = {path.name.split(".")[0].split("__")[0] for path in LABEL_FILES}
    assert len(runners) >= 6, runners


@pytest.mark.parametrize("path", LABEL_FILES, ids=lambda p: p.name)
def test_a_label_file_says_what_its_labeller_meant(path):
    labels = json.loads(path.read_text())
    assert Path(labels["clip"]).stem == path.name.split(".")[0]
    assert labels["near_side"] in ("left", "right")
    fps, events = float(labels["fps"]), labels["events"]
    first, last = labels.get("labelled_frames", [0, labels["n_frames"] - 1])
    assert 0 <= first < last < labels["n_frames"]
    assert events and [e["frame"] for e in events] == sorted(e["frame"] for e in events)
    for event in events:
        assert event["foot"] in ("near", "far") and event["event"] in ("strike", "toe_off")
        assert first <= event["frame"] <= last, event
        if "time_s" in event:
            assert abs(event["time_s"] - event["frame"] / fps) < 0.002, event
        assert event.get("confidence") in ("sure", "unsure") or isinstance(event.get("sure"),
                                                                          bool), event
    gaps = labels.get("gaps", [])
    assert all(first <= start <= end <= last for start, end in gaps), gaps
    assert not gaps or labels.get("gaps_note"), "a gap needs the labeller's reason"
    for foot in ("near", "far"):
        seq = [(e["frame"], e["event"]) for e in events if e["foot"] == foot]
        if {"strike", "toe_off"} <= {kind for _, kind in seq}:
            for (frame_a, kind_a), (frame_b, kind_b) in zip(seq, seq[1:], strict=False):
                across_gap = any(frame_a < start and end < frame_b for start, end in gaps)
                assert kind_a != kind_b or across_gap, (foot, frame_a, frame_b, kind_a)
