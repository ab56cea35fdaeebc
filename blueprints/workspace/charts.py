"""Charts drawn on the server as SVG geometry for templates/workspace/_charts.html: horizontal bars, a trend
line and progress bars. No JavaScript, no style attributes (the CSP allows neither); colours come from
classes in app.css. Every chart also renders its numbers as a table for screen readers."""
from dataclasses import dataclass

WIDTH = 340  # viewBox width: the chart scales to the card (about 340 px on a 390-px phone)
LABEL_W = 78  # room for the labels left of the bars
BAR_H = 22
GAP = 8


@dataclass
class Bar:
    """One bar: where it is drawn, its label and value, and where it links."""

    label: str
    short: str
    value: float
    shown: str
    href: str
    y: int
    width: float
    tone: str = ""


def bars(items, *, max_value: float | None = None, suffix: str = "") -> dict:
    """Horizontal bars for (label, value, href[, tone]) items; the longest fills the plot area."""
    rows = [tuple(i) + ("",) * (4 - len(i)) for i in items]
    top = max_value or max([float(v) for _l, v, _h, _t in rows] + [1.0])
    plot = WIDTH - LABEL_W - 44
    out = []
    for n, (label, value, href, tone) in enumerate(rows):
        value = float(value or 0)
        shown = (f"{value:g}" if value != int(value) else str(int(value))) + suffix
        out.append(Bar(label=str(label), short=_short(str(label)), value=value, shown=shown, href=href, y=n * (BAR_H + GAP),
                       width=round(max(0.0, min(1.0, value / top)) * plot, 1) if top else 0, tone=tone))
    return {"bars": out, "height": max(1, len(out) * (BAR_H + GAP) - GAP), "width": WIDTH, "label_w": LABEL_W,
            "bar_h": BAR_H}


def _short(label: str, room: int = 6) -> str:
    """A label cut to fit left of the bars (about six Chinese characters); the table keeps it whole."""
    return label if len(label) <= room else label[:room - 1] + "…"


@dataclass
class Point:
    """One point of a trend line (a percentage), with its label and link."""

    label: str
    value: int
    href: str
    x: float
    y: float


def trend(items, *, height: int = 120) -> dict:
    """A line of percentages (label, percent, href), oldest first, over a 0-100 % axis."""
    items = list(items)
    left, right, top, bottom = 34, 10, 8, 20
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(1, len(items) - 1)
    points = [Point(label=str(label), value=int(value), href=href,
                    x=round(left + (n * step if len(items) > 1 else plot_w / 2), 1),
                    y=round(top + plot_h * (1 - max(0, min(100, value)) / 100), 1))
              for n, (label, value, href) in enumerate(items)]
    grid = [(pct, round(top + plot_h * (1 - pct / 100), 1)) for pct in (0, 50, 100)]
    return {"points": points, "line": " ".join(f"{p.x},{p.y}" for p in points), "height": height,
            "width": WIDTH, "grid": grid, "left": left, "right": WIDTH - right, "bottom": height - 4}


def progress(value: float, total: float) -> dict:
    """A progress bar's filled share."""
    share = 0.0 if not total else max(0.0, min(1.0, value / total))
    return {"width": WIDTH, "filled": round(WIDTH * share, 1), "percent": round(100 * share)}
