#!/usr/bin/env python3
"""Rasterises icons/lanline.svg's shapes (no SVG library needed) into PNG and BMP: `python3 render_icon.py SIZE OUT_BASENAME`. Kept so the PNG/BMP can be
regenerated when the SVG changes; the numbers below mirror the SVG."""
import math
import struct
import sys
import zlib

TEAL = (0x1F, 0x96, 0x8C)
WHITE = (255, 255, 255)


def inside_rounded_rect(x, y):
    x0, y0, x1, y1, r = 8, 8, 248, 248, 56
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def colour_at(x, y):
    """(rgb, alpha) of the 256-unit icon at x, y."""
    if not inside_rounded_rect(x, y):
        return (0, 0, 0), 0
    for cx, cy in ((78, 166), (178, 90)):
        d = math.hypot(x - cx, y - cy)
        if d <= 14:
            return TEAL, 1
        if d <= 34:
            return WHITE, 1
    if seg_dist(x, y, 78, 166, 178, 90) <= 11:
        return WHITE, 1
    return TEAL, 1


def render(size):
    ss = 4
    pixels = []
    for j in range(size):
        for i in range(size):
            r = g = b = a = 0.0
            for sj in range(ss):
                for si in range(ss):
                    x = (i + (si + 0.5) / ss) * 256 / size
                    y = (j + (sj + 0.5) / ss) * 256 / size
                    rgb, alpha = colour_at(x, y)
                    r += rgb[0] * alpha
                    g += rgb[1] * alpha
                    b += rgb[2] * alpha
                    a += alpha
            n = ss * ss
            if a:
                pixels.append((int(r / a), int(g / a), int(b / a), int(255 * a / n)))
            else:
                pixels.append((0, 0, 0, 0))
    return pixels


def write_png(path, size, pixels):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + bytes(v for p in pixels[j * size:(j + 1) * size] for v in p)
                   for j in range(size))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def write_bmp(path, size, pixels):
    # 32-bit BGRA, bottom-up, with BITFIELDS so SDL_LoadBMP keeps the alpha.
    rows = [pixels[j * size:(j + 1) * size] for j in range(size)][::-1]
    data = b"".join(bytes((p[2], p[1], p[0], p[3])) for row in rows for p in row)
    header_size = 14 + 56
    f = open(path, "wb")
    f.write(b"BM" + struct.pack("<IHHI", header_size + len(data), 0, 0, header_size))
    f.write(struct.pack("<IiiHHIIiiII", 56, size, size, 1, 32, 3, len(data), 2835, 2835, 0, 0))
    f.write(struct.pack("<IIII", 0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000))
    f.write(data)
    f.close()


if __name__ == "__main__":
    size, base = int(sys.argv[1]), sys.argv[2]
    px = render(size)
    write_png(base + ".png", size, px)
    write_bmp(base + ".bmp", size, px)
