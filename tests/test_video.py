"""gait.video: every clip is made here with PyAV (no video files in the repo)."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from gait.video import VideoError, VideoFrame, iter_frames, probe_video
from synthetic.encode import encode_clip


def write_clip(
    path: Path,
    *,
    codec: str = "libx264",
    n_frames: int = 75,
    fps: int = 25,
    width_px: int = 96,
    height_px: int = 64,
    times_s: np.ndarray | None = None,
    options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """A clip whose red channel encodes the frame index (3 per frame) with a white
    8×8 marker in the top-left corner. `times_s` gives irregular timestamps."""

    def picture(i: int) -> np.ndarray:
        rgb = np.full((height_px, width_px, 3), 40, np.uint8)
        rgb[:, :, 0] = 3 * i % 256
        rgb[:8, :8] = 255
        return rgb

    return encode_clip(path, (picture(i) for i in range(n_frames)), fps=fps, times_s=times_s,
                       codec=codec, container_options=options, metadata=metadata)


def _boxes(buf: bytes, start: int, end: int):
    """(type, offset, header size, size) of the ISO-BMFF boxes in buf[start:end]."""
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", buf[i:i + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", buf[i + 8:i + 16])[0], 16
        elif size == 0:
            size = end - i
        yield kind, i, header, size
        i += size


def set_mp4_rotation(path: Path, rotation_deg: int) -> None:
    """Write a phone-style display matrix into the video track header (tkhd) so that
    FFmpeg reports `frame.rotation == rotation_deg` (counter-clockwise).

    PyAV 16.1 cannot write a display matrix: stream.metadata["rotate"] and packet
    side data are both ignored by the MP4 muxer, so the header is patched in place.
    An iPhone portrait clip carries [0 1 0; -1 0 0; ...], i.e. rotation -90.
    """
    buf = bytearray(path.read_bytes())
    theta = math.radians(-rotation_deg)
    cos, sin = round(math.cos(theta)), round(math.sin(theta))
    matrix = struct.pack(">9i", cos << 16, sin << 16, 0, -sin << 16, cos << 16, 0, 0, 0, 1 << 30)
    patched = 0
    for kind, i, header, size in _boxes(buf, 0, len(buf)):
        if kind != b"moov":
            continue
        for kind2, j, header2, size2 in _boxes(buf, i + header, i + size):
            if kind2 != b"trak":
                continue
            for kind3, k, header3, _ in _boxes(buf, j + header2, j + size2):
                if kind3 == b"tkhd":
                    version = buf[k + header3]
                    matrix_at = k + header3 + 4 + (32 if version == 1 else 20) + 16
                    buf[matrix_at:matrix_at + 36] = matrix
                    patched += 1
    assert patched == 1
    path.write_bytes(bytes(buf))


@pytest.mark.parametrize(
    ("suffix", "codec", "codec_name"),
    [
        (".mp4", "libx264", "h264"),
        (".mov", "libx264", "h264"),
        (".mov", "libx265", "hevc"),  # iPhone default
        (".m4v", "libx264", "h264"),
        (".avi", "mpeg4", "mpeg4"),
        (".webm", "libvpx-vp9", "vp9"),
        (".webm", "libvpx", "vp8"),
        (".mkv", "libx264", "h264"),
    ],
)
def test_each_allowed_container_decodes(tmp_path, suffix, codec, codec_name):
    path = write_clip(tmp_path / f"clip{suffix}", codec=codec)
    info = probe_video(path)
    assert info.codec == codec_name
    assert (info.width_px, info.height_px, info.rotation_deg) == (96, 64, 0)
    assert info.stored_fps == pytest.approx(25, rel=1e-3)
    assert info.capture_fps == pytest.approx(25, rel=1e-3) and info.time_scale == pytest.approx(1)
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    assert info.n_frames_estimate == 75
    assert info.size_bytes == path.stat().st_size

    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(75))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(75) / 25, atol=1e-3)
    assert all(isinstance(f, VideoFrame) and f.rgb.shape == (64, 96, 3) for f in frames)
    assert frames[0].rgb.dtype == np.uint8
    red = np.array([f.rgb[32:, 48:, 0].mean() for f in frames])  # lossy: loose check
    np.testing.assert_allclose(red, 3 * np.arange(75), atol=16)  # frames in order, RGB order
    assert np.all(np.diff(red) > -4)


def test_upper_case_extension_is_accepted(tmp_path):
    path = write_clip(tmp_path / "CLIP.MOV")
    assert probe_video(path).n_frames_estimate == 75


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_variable_frame_rate_times_come_from_timestamps(tmp_path, suffix):
    rng = np.random.default_rng(3)
    steps_s = rng.choice([1 / 60, 1 / 30, 0.05], size=119)
    steps_s[:60] = 1 / 30  # median interval 1/30 s
    times_s = np.concatenate([[0.0], np.cumsum(steps_s)])
    codec = "libvpx-vp9" if suffix == ".webm" else "libx264"
    path = write_clip(tmp_path / f"vfr{suffix}", n_frames=120, codec=codec, times_s=times_s)
    frames = list(iter_frames(path))
    np.testing.assert_allclose([f.time_s for f in frames], times_s, atol=1.5e-3)
    assert probe_video(path).stored_fps == pytest.approx(30, rel=0.05)


def test_capture_fps_override_scales_time(tmp_path):
    path = write_clip(tmp_path / "slowmo.mp4", n_frames=300, fps=30)  # 10 s stored
    info = probe_video(path, capture_fps=120)
    assert info.capture_fps == 120 and info.time_scale == pytest.approx(0.25, rel=1e-3)
    assert info.duration_s == pytest.approx(2.5, abs=0.02)
    assert info.stored_duration_s == pytest.approx(10.0, abs=0.05)
    times = [f.time_s for f in iter_frames(path, capture_fps=120)]
    np.testing.assert_allclose(times, np.arange(300) / 120, atol=1e-3)


def test_slow_motion_makes_a_clip_too_short_in_real_time(tmp_path):
    path = write_clip(tmp_path / "slowmo.mp4", n_frames=90, fps=30)  # 3 s stored
    assert probe_video(path).duration_s == pytest.approx(3.0, abs=0.05)
    with pytest.raises(VideoError, match="only 0.8 s long"):
        probe_video(path, capture_fps=120)


def test_capture_fps_from_android_metadata(tmp_path):
    path = write_clip(tmp_path / "android.mp4", n_frames=300, fps=30,
                      options={"movflags": "use_metadata_tags"},
                      metadata={"com.android.capture.fps": "240.000000"})
    info = probe_video(path, min_duration_s=1.0)
    assert info.capture_fps == 240 and info.time_scale == pytest.approx(0.125, rel=1e-3)
    assert info.duration_s == pytest.approx(1.25, abs=0.02)
    assert probe_video(path, capture_fps=60, min_duration_s=1.0).capture_fps == 60  # user wins


def test_metadata_equal_to_stored_rate_changes_nothing(tmp_path):
    path = write_clip(tmp_path / "normal.mp4", fps=30, n_frames=90,
                      options={"movflags": "use_metadata_tags"},
                      metadata={"com.android.capture.fps": "29.970000"})
    info = probe_video(path)
    assert info.time_scale == pytest.approx(1.0) and info.capture_fps == pytest.approx(30, 1e-3)


@pytest.mark.parametrize(
    ("capture_fps", "phrase"),
    [(10, "not plausible"), (5000, "not plausible"), (float("nan"), "not plausible"),
     (20, "cannot have been filmed at 20")],
)
def test_absurd_capture_fps_is_refused(tmp_path, capture_fps, phrase):
    path = write_clip(tmp_path / "clip.mp4", fps=30, n_frames=90)
    with pytest.raises(VideoError, match=phrase):
        probe_video(path, capture_fps=capture_fps)
    with pytest.raises(VideoError, match=phrase):
        next(iter_frames(path, capture_fps=capture_fps))


@pytest.mark.parametrize(
    ("rotation_deg", "upright_deg", "marker_corner"),
    # marker starts top-left; the frame is turned counter-clockwise by rotation_deg
    [(-90, 270, "top_right"), (90, 90, "bottom_left"), (180, 180, "bottom_right")],
)
def test_rotation_metadata_gives_upright_frames(tmp_path, rotation_deg, upright_deg,
                                                marker_corner):
    path = write_clip(tmp_path / "phone.mp4", width_px=96, height_px=64)
    set_mp4_rotation(path, rotation_deg)
    info = probe_video(path)
    assert info.rotation_deg == upright_deg
    expected_wh = (96, 64) if upright_deg == 180 else (64, 96)
    assert (info.width_px, info.height_px) == expected_wh
    frame = next(iter_frames(path))
    assert frame.rgb.shape == (expected_wh[1], expected_wh[0], 3)
    assert frame.rgb.flags["C_CONTIGUOUS"]
    corners = {"top_left": frame.rgb[:6, :6], "top_right": frame.rgb[:6, -6:],
               "bottom_left": frame.rgb[-6:, :6], "bottom_right": frame.rgb[-6:, -6:]}
    for name, patch in corners.items():
        is_marker = patch.mean() > 200
        assert is_marker == (name == marker_corner), name


def _assert_user_message(error: VideoError) -> None:
    message = str(error)
    assert "\n" not in message and "Errno" not in message and "avformat" not in message
    assert message.endswith(".")


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="was not found") as info:
        probe_video(tmp_path / "nope.mp4")
    _assert_user_message(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(VideoError, match="empty") as info:
        probe_video(path)
    _assert_user_message(info.value)


@pytest.mark.parametrize("name", ["notes.txt", "clip.gif", "clip"])
def test_unsupported_extension(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x" * 100)
    with pytest.raises(VideoError, match=r"not a video we can read.*Upload an \.mp4") as info:
        probe_video(path)
    _assert_user_message(info.value)


def test_text_file_renamed_to_mp4(tmp_path):
    path = tmp_path / "fake.mp4"
    path.write_text("this is not a video\n" * 100)
    with pytest.raises(VideoError, match=r"not a video we can read \(\.mp4\)") as info:
        probe_video(path)
    _assert_user_message(info.value)


@pytest.mark.parametrize(("suffix", "options"), [
    (".mp4", {}),  # index (moov) at the end: nothing readable is left
    (".mp4", {"movflags": "+faststart"}),  # index first: the first frames still decode
    (".mkv", {}),
    (".avi", {}),
])
def test_truncated_file(tmp_path, suffix, options):
    codec = "mpeg4" if suffix == ".avi" else "libx264"
    full = write_clip(tmp_path / f"full{suffix}", n_frames=150, codec=codec, options=options)
    cut = tmp_path / f"cut{suffix}"
    data = full.read_bytes()
    cut.write_bytes(data[: int(0.3 * len(data))])
    with pytest.raises(VideoError, match="damaged or incomplete") as info:
        probe_video(cut)
    _assert_user_message(info.value)


@pytest.mark.parametrize("image_suffix", [".png", ".jpg"])
def test_still_image_renamed_to_video(tmp_path, image_suffix):
    image = tmp_path / f"photo{image_suffix}"
    cv2.imwrite(str(image), np.full((120, 160, 3), 128, np.uint8))
    path = tmp_path / "photo.mov"
    path.write_bytes(image.read_bytes())
    with pytest.raises(VideoError, match="still picture") as info:
        probe_video(path)
    _assert_user_message(info.value)


def test_single_frame_clip_is_a_still_picture(tmp_path):
    path = write_clip(tmp_path / "one.mp4", n_frames=1)
    with pytest.raises(VideoError, match="still picture"):
        probe_video(path)


def test_audio_only_file(tmp_path):
    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 48000
        for i in range(100):
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(VideoError, match="no video track"):
        probe_video(path)


def test_too_short(tmp_path):
    path = write_clip(tmp_path / "short.mp4", n_frames=25, fps=25)
    with pytest.raises(VideoError, match=r"only 1\.0 s long.*at least 2 s") as info:
        probe_video(path)
    _assert_user_message(info.value)
    assert probe_video(path, min_duration_s=0.5).duration_s == pytest.approx(1.0, abs=0.05)
    assert len(list(iter_frames(path))) == 25  # iteration has no length limit


def test_too_large(tmp_path):
    path = write_clip(tmp_path / "big.mp4")
    size = path.stat().st_size
    with pytest.raises(VideoError, match="limit") as info:
        probe_video(path, max_size_bytes=size - 1)
    _assert_user_message(info.value)
    assert probe_video(path, max_size_bytes=size).size_bytes == size


def test_damaged_packets_mid_file_are_skipped(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", n_frames=150, width_px=160, height_px=120)
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + len(data) // 3
    for k in range(start, start + 2000):
        data[k] = (data[k] * 7 + 13) % 256
    path.write_bytes(bytes(data))
    frames = list(iter_frames(path))  # must not raise an av exception
    assert 75 <= len(frames) <= 150
    times = np.array([f.time_s for f in frames])
    assert np.all(np.diff(times) > 0) and times[-1] > 5.0  # went on past the damage


@pytest.mark.parametrize(("rotation_deg", "marker_corner"), [(0, "top_left"),
                                                             (-90, "top_right")])
def test_frames_scaled_while_decoding_stay_upright(tmp_path, rotation_deg, marker_corner):
    """`size_px` is the upright size; the picture is scaled, not cropped."""
    path = write_clip(tmp_path / "phone.mp4", width_px=192, height_px=128)
    if rotation_deg:
        set_mp4_rotation(path, rotation_deg)
    info = probe_video(path)
    size_px = (info.width_px // 2, info.height_px // 2)
    full = list(iter_frames(path))
    half = list(iter_frames(path, size_px=size_px))
    assert [f.time_s for f in half] == [f.time_s for f in full]
    assert half[0].rgb.shape == (size_px[1], size_px[0], 3)
    rgb = half[0].rgb
    corners = {"top_left": rgb[:3, :3], "top_right": rgb[:3, -3:],
               "bottom_left": rgb[-3:, :3], "bottom_right": rgb[-3:, -3:]}
    for name, patch in corners.items():
        assert (patch.mean() > 200) == (name == marker_corner), name
    # the red channel (frame number) survives the scaling
    red_half, red_full = half[10].rgb[40:, 40:, 0], full[10].rgb[80:, 80:, 0]
    assert abs(float(red_half.mean()) - float(red_full.mean())) < 3


def _yuv_frame(coarse_shape: tuple[int, int], seed: int) -> av.VideoFrame:
    """A 320×180 yuv420p frame of random colours, as smooth as `coarse_shape` says."""
    coarse = np.random.default_rng(seed).integers(0, 256, (*coarse_shape, 3), dtype=np.uint8)
    picture = cv2.resize(coarse, (320, 180), interpolation=cv2.INTER_CUBIC)
    return av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")


def _scaled_reference(frame: av.VideoFrame, size_px: tuple[int, int]) -> np.ndarray:
    """Converted at full size by swscale, then scaled by OpenCV (the slow path)."""
    halved = size_px[0] * 2 < frame.width
    return cv2.resize(frame.to_ndarray(format="rgb24"), size_px,
                      interpolation=cv2.INTER_AREA if halved else cv2.INTER_LINEAR)


@pytest.mark.parametrize("size_px", [(160, 90), (161, 91), (64, 36)])
def test_a_yuv_frame_scaled_plane_by_plane_matches_scaling_its_rgb(size_px):
    """The fast path (planes scaled, then converted at the small size) against the slow
    one; odd sizes take the slow path itself. The brightness agrees (within 2 grey levels
    on average) on smooth and busy pictures; the colour, which 4:2:0 keeps at half
    resolution either way, is averaged at a different stage: on saturated random colours
    it agrees within 3 levels on average at half size (the render scales 0.5–0.85×)."""
    from gait.picture import upright_rgb

    for coarse_shape, seed in (((4, 6), 4), ((18, 32), 5)):
        frame = _yuv_frame(coarse_shape, seed)
        fast, slow = upright_rgb(frame, size_px=size_px), _scaled_reference(frame, size_px)
        assert fast.shape == slow.shape == (size_px[1], size_px[0], 3)
        luma = [cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(int) for rgb in (fast, slow)]
        assert np.abs(luma[0] - luma[1]).mean() < 2.0
        if coarse_shape == (4, 6) and size_px[0] * 2 >= frame.width:
            assert np.abs(fast.astype(int) - slow.astype(int)).mean() < 3.0
