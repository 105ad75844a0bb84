"""The portal's app icons (the web app manifest, the home screen, notifications), drawn with Pillow
from the emblem of ``favicon.svg`` (which the manifest also lists, sizes "any"): a red disc ringed in
gold with a gold five-pointed star. The PNGs are committed; run this again after changing the emblem:

    .venv/bin/python gateway/web/icons/make_icons.py

- ``icon-192.png``, ``icon-512.png``: purpose "any", the emblem on a transparent square;
- ``icon-maskable-512.png``: purpose "maskable", the emblem inside the safe zone (the centred circle of
  80 % of the width, W3C "Icon masks") on a full-bleed background of the portal's red, so a launcher
  may crop it to any shape;
- ``apple-touch-icon.png`` (180 × 180, opaque: iOS fills transparency with black);
- ``badge-96.png``: the notification badge (Android shows only its alpha channel: a white star).

Drawn 4× larger and scaled down (LANCZOS) for smooth edges; the output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
RED = (200, 16, 46, 255)  # #c8102e, the emblem's disc
GOLD = (255, 213, 79, 255)  # #ffd54f
PORTAL_RED = (155, 28, 28, 255)  # #9b1c1c, the header's red (theme_color)
WHITE = (255, 255, 255, 255)
SCALE = 4

# The star of favicon.svg (a 48-unit box): M24 9 l3.6 10.9 H39 l-9.2 6.7 3.5 10.9 L24 30.8 l-9.3 6.7
# 3.5-10.9 L9 19.9 h11.4 z
STAR = [
    (24, 9),
    (27.6, 19.9),
    (39, 19.9),
    (29.8, 26.6),
    (33.3, 37.5),
    (24, 30.8),
    (14.7, 37.5),
    (18.2, 26.6),
    (9, 19.9),
    (20.4, 19.9),
]


Colour = tuple[int, int, int, int]


def emblem(size: int, *, box: float = 1.0, background: Colour | None = None) -> Image.Image:
    """The emblem on a ``size`` square; ``box``: the share of the side the emblem's 48-unit box takes,
    centred; ``background``: a full-bleed colour (else transparent)."""
    big = size * SCALE
    img = Image.new("RGBA", (big, big), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    unit = big * box / 48
    off = (big - 48 * unit) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return (off + x * unit, off + y * unit)

    # The disc (r 23) and its gold ring (stroke 2, centred on the circle: 22 to 24).
    draw.ellipse([*at(0, 0), *at(48, 48)], fill=GOLD)
    draw.ellipse([*at(2, 2), *at(46, 46)], fill=RED)
    draw.polygon([at(x, y) for x, y in STAR], fill=GOLD)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def badge(size: int) -> Image.Image:
    """The star alone, white on transparent (a monochrome badge)."""
    big = size * SCALE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    unit = big / 48
    draw.polygon([(x * unit, (y + 0.8) * unit) for x, y in STAR], fill=WHITE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def icons() -> dict[str, Image.Image]:
    return {
        "icon-192.png": emblem(192),
        "icon-512.png": emblem(512),
        # The safe zone is a circle of 40 % radius: the emblem's disc (r 24 of 48) fits it at 0.8.
        "icon-maskable-512.png": emblem(512, box=0.8, background=PORTAL_RED),
        "apple-touch-icon.png": emblem(180, box=0.86, background=PORTAL_RED).convert("RGB"),
        "badge-96.png": badge(96),
    }


def main() -> None:
    for name, img in icons().items():
        img.save(HERE / name, optimize=True)
        print(f"wrote gateway/web/icons/{name} ({img.width}x{img.height})")


if __name__ == "__main__":
    main()
