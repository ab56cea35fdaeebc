"""A tiny pure-Python Y4M (YUV4MPEG2, I420) writer: a fake camera video showing a QR code."""
from pathlib import Path

import segno


def qr_frame(data: str, width: int = 640, height: int = 480, border: int = 4, fill: float = 0.6) -> bytes:
    """One grey-scale frame (the luma plane) with the QR code centred, black on white.

    The code fills `fill` of the frame's height: inside the centre region scanners look at first
    (qr-scanner scans the middle two thirds), as a member holding the phone up to it would frame it.
    """
    matrix = [list(row) for row in segno.make(data, error="m", micro=False).matrix]
    n = len(matrix) + 2 * border
    scale = max(1, int(min(width, height) * fill) // n)
    size = n * scale
    left, top = (width - size) // 2, (height - size) // 2
    rows = []
    white_row = b"\xff" * width
    for y in range(height):
        qy = (y - top) // scale - border
        if y < top or y >= top + size or not 0 <= qy < len(matrix):
            rows.append(white_row)
            continue
        line = bytearray(b"\xff" * width)
        for qx, dark in enumerate(matrix[qy]):
            if dark:
                x0 = left + (qx + border) * scale
                line[x0:x0 + scale] = b"\x10" * scale
        rows.append(bytes(line))
    return b"".join(rows)


def write_qr_video(path: Path, data: str, *, frames: int = 10, fps: int = 10, width: int = 640,
                   height: int = 480) -> Path:
    """Write a short looping Y4M video of a QR code (Chromium's --use-file-for-fake-video-capture)."""
    luma = qr_frame(data, width, height)
    chroma = b"\x80" * ((width // 2) * (height // 2))
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n")
            fh.write(luma)
            fh.write(chroma)
            fh.write(chroma)
    return path
