"""Writes a class-folder tree of photo-like JPEGs for the image-folder benchmark: sizes drawn
uniformly from 300 to 800 px per side, smooth gradients + shapes + sensor-like noise so that
files compress like photographs (tens of KB each). Deterministic for a seed.

usage: make_jpeg_folder.py OUT_DIR [--classes 30] [--per-class 100] [--seed 0]
"""
import argparse
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack(
        [
            128 + 100 * np.sin(xx / rng.uniform(30, 120) + rng.uniform(0, 6)),
            128 + 100 * np.cos(yy / rng.uniform(30, 120) + rng.uniform(0, 6)),
            128 + 90 * np.sin((xx + yy) / rng.uniform(40, 160)),
        ],
        axis=-1,
    )
    img = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(3, 9)):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        r = rng.integers(20, max(21, min(w, h) // 3))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=color)
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    noisy = np.asarray(img, dtype=np.float32) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--classes", type=int, default=30)
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    for k in range(a.classes):
        d = os.path.join(a.out, f"class_{k:03d}")
        os.makedirs(d, exist_ok=True)
        for i in range(a.per_class):
            w, h = (int(v) for v in rng.integers(300, 801, 2))
            photo(rng, w, h).save(os.path.join(d, f"{i:05d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
