"""Small pictures in a terminal: two pixels a cell with the upper half block "▀"."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text


def _scaled(pixels: list[list[float | None]], vmin: float | None, vmax: float | None) -> list[list[float]]:
    flat = [v for row in pixels for v in row if v is not None]
    lo = vmin if vmin is not None else min(flat, default=0.0)
    hi = vmax if vmax is not None else max(flat, default=1.0)
    span = (hi - lo) or 1.0
    return [[min(1.0, max(0.0, ((lo if v is None else v) - lo) / span)) for v in row] for row in pixels]


def _grey(v: float) -> str:
    g = round(v * 255)
    return f"rgb({g},{g},{g})"


def image_text(
    pixels: list[list[float | None]], vmin: float | None = None, vmax: float | None = None, scale: int = 1
) -> Text:
    """A grayscale picture, dark = low, light = high; ``scale`` repeats each pixel."""
    px = _scaled(pixels, vmin, vmax)
    px = [[v for v in row for _ in range(scale)] for row in px for _ in range(scale)]
    text = Text()
    for r in range(0, len(px), 2):
        top = px[r]
        bottom = px[r + 1] if r + 1 < len(px) else None
        for c, t in enumerate(top):
            style = _grey(t) + (f" on {_grey(bottom[c])}" if bottom is not None else "")
            text.append("▀", style=style)
        if r + 2 < len(px):
            text.append("\n")
    return text


def heatmap_table(
    pixels: list[list[Any]], title: str = "", row_label: str = "true", col_label: str = "predicted"
) -> Table:
    """A matrix (a confusion matrix) with its numbers in shaded cells: the number carries the meaning."""
    px = _scaled(pixels, 0.0, None)
    table = Table(title=title, show_header=True, box=None, padding=(0, 0), pad_edge=False)
    table.add_column(f"{row_label}\\{col_label}", justify="right", style="bold")
    for c in range(len(pixels[0]) if pixels else 0):
        table.add_column(str(c), justify="right")
    for r, row in enumerate(pixels):
        cells = []
        for c, v in enumerate(row):
            shade = px[r][c]
            fg = "black" if shade > 0.55 else "white"
            cells.append(Text(f" {_fmt(v)}", style=f"{fg} on {_grey(0.15 + 0.8 * shade)}"))
        table.add_row(str(r), *cells)
    return table


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.2g}"
    return str(v)
