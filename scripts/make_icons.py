"""Draw the app icons (run once; the PNGs are committed). Needs Pillow and fonts-noto-cjk."""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
RED = (179, 18, 29)
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


def draw(size: int, maskable: bool) -> Image.Image:
    """A red tile with 服务 in white; maskable icons keep the glyphs inside the 80 % safe zone."""
    img = Image.new("RGB", (size, size), RED)
    d = ImageDraw.Draw(img)
    scale = 0.30 if maskable else 0.36
    font = ImageFont.truetype(FONT, int(size * scale), index=2)
    text = "服务"
    box = d.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    d.text(((size - w) / 2 - box[0], (size - h) / 2 - box[1] - size * 0.04), text, font=font, fill="white")
    ring = size * (0.14 if maskable else 0.08)
    d.arc([ring, size * 0.62, size - ring, size * 1.3], 200, 340, fill=(255, 214, 102), width=max(2, size // 40))
    return img


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, False).save(OUT / "icon-192.png", optimize=True)
    draw(512, False).save(OUT / "icon-512.png", optimize=True)
    draw(512, True).save(OUT / "maskable-512.png", optimize=True)
    print("icons written to", OUT)
