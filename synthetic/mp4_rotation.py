"""Phone-style rotation metadata for MP4/MOV files written by PyAV (see README.md)."""

from __future__ import annotations

import struct
from pathlib import Path


def set_mp4_rotation(path: Path, rotation_deg: int) -> None:
    """Write the video track's tkhd display matrix (what ffmpeg's `rotate` tag wrote)."""
    data = bytearray(path.read_bytes())

    def boxes(start: int, end: int):
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack(">I4s", data[pos:pos + 8])
            header = 8
            if size == 1:
                size, header = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
            elif size == 0:
                size = end - pos
            yield kind, pos + header, pos + size
            pos += size

    moov = next((b for b in boxes(0, len(data)) if b[0] == b"moov"), None)
    if moov is None:
        raise ValueError("no moov box")
    for kind, start, end in boxes(moov[1], moov[2]):
        if kind != b"trak":
            continue
        inner = {k: (s, e) for k, s, e in boxes(start, end)}
        mdia = inner.get(b"mdia")
        hdlr = [(s, e) for k, s, e in boxes(*mdia) if k == b"hdlr"] if mdia else []
        if not hdlr or data[hdlr[0][0] + 8:hdlr[0][0] + 12] != b"vide":
            continue
        s = inner[b"tkhd"][0]
        version = data[s]
        w, h = (struct.unpack(">I", data[s + o:s + o + 4])[0] >> 16 for o in
                ((84, 88) if version == 1 else (76, 80)))
        m = {90: (0, 1, -1, 0, h, 0), 180: (-1, 0, 0, -1, w, h), 270: (0, -1, 1, 0, 0, w)}
        a, b, c, dd, tx, ty = m[rotation_deg]
        matrix = struct.pack(">9i", a << 16, b << 16, 0, c << 16, dd << 16, 0, tx << 16,
                             ty << 16, 1 << 30)
        off = s + (52 if version == 1 else 40)
        data[off:off + 36] = matrix
        path.write_bytes(bytes(data))
        return
    raise ValueError("no video track")
