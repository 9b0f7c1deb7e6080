"""Checks on a clip file that need no decoding (it exists, is a file, has a video name,
is not empty or too big), the sniffing of its first bytes that words the error when FFmpeg
cannot open it, and `VideoError`, whose message is one sentence for the user saying
what is wrong and what to do. Used by gait.video."""

from __future__ import annotations

from pathlib import Path

ALLOWED_EXTENSIONS: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")
ALLOWED_TEXT = ", ".join(ALLOWED_EXTENSIONS[:-1]) + " or " + ALLOWED_EXTENSIONS[-1]


class VideoError(Exception):
    """The clip cannot be used; the message tells the user what is wrong and what to do."""


def _fmt_size(n_bytes: float) -> str:
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    if n_bytes >= 1e6:
        return f"{n_bytes / 1e6:.0f} MB"
    return f"{n_bytes / 1e3:.0f} kB"


def _looks_like_video_container(path: Path) -> bool:
    """True when the first bytes carry a video container signature (MP4/MOV, Matroska, AVI)."""
    with path.open("rb") as f:
        head = f.read(16)
    return (
        head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
        or head[:4] == b"\x1a\x45\xdf\xa3"
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
    )


def _looks_like_still_image(path: Path) -> bool:
    """True when the first bytes carry a picture signature (PNG, JPEG, GIF, BMP, TIFF,
    WebP): a photo renamed to a video name, which the allowed demuxers will not open."""
    with path.open("rb") as f:
        head = f.read(16)
    return (head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00",
                             b"MM\x00*"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def unreadable_error(path: Path) -> VideoError:
    if _looks_like_still_image(path):
        return still_image_error()
    if _looks_like_video_container(path):
        return VideoError(
            "This video file seems damaged or incomplete (was the upload or copy interrupted?). "
            "Export the clip again from your phone and upload the new file."
        )
    return VideoError(
        f"This file is not a video we can read ({path.suffix.lower()}). "
        f"Upload an {ALLOWED_TEXT} clip."
    )


def check_file(path: Path, *, max_size_bytes: int) -> int:
    """Checks that need no decoding; returns the file size in bytes."""
    if not path.exists():
        raise VideoError(f"The file {path.name} was not found. Check the name and choose it again.")
    if not path.is_file():
        raise VideoError(f"{path.name} is a folder, not a video file. Choose a video clip.")
    if path.suffix.lower() not in ALLOWED_EXTENSIONS:
        kind = path.suffix.lower() or "no extension"
        raise VideoError(
            f"This file is not a video we can read ({kind}). Upload an {ALLOWED_TEXT} clip."
        )
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        raise VideoError("This file is empty (0 bytes). Upload the clip again.")
    if size_bytes > max_size_bytes:
        raise VideoError(
            f"This file is {_fmt_size(size_bytes)}, more than the {_fmt_size(max_size_bytes)} "
            "limit. Trim it to 10–30 s of running (or record at a lower resolution) and upload "
            "that."
        )
    return size_bytes


def still_image_error() -> VideoError:
    return VideoError(
        "This file is a still picture, not a video. Upload a video clip of you running "
        "(10–20 s, filmed from the side)."
    )
