"""Draw a demo :class:`~harness.Report` as plain terminal text.

Tables as aligned columns, curves with ``plotext`` (when installed; a short
table of values otherwise), and pictures with half-block characters: each
terminal cell shows two pixels, the top one as the foreground colour of "▀"
and the bottom one as its background. Without colour (a pipe, a file), a
picture is drawn with a ramp of ASCII characters instead.
"""

from __future__ import annotations

import math

from harness import Image, Plot, Report, Table, decade_ticks, fmt

ASCII_RAMP = " .:-=+*#%@"


def render_text(rep: Report, color: bool = False, width: int = 78) -> str:
    out: list[str] = [f"{rep.demo}: {rep.claim}", "", rep.headline, ""]
    if rep.metrics:
        out.append(format_table(Table("metrics", ["metric", "value"], [[k, v] for k, v in rep.metrics.items()])))
        out.append("")
    for table in rep.tables:
        out += [format_table(table), ""]
    for plot in rep.plots:
        out += [format_plot(rep, plot, width=width, color=color), ""]
    groups: dict[str, list[Image]] = {}
    for im in rep.images:
        groups.setdefault(im.group or im.title, []).append(im)
    for group, images in groups.items():
        out += [format_images(images, color=color, title=group), ""]
    out += [f"note: {n}" for n in rep.notes]
    params = ", ".join(f"{k}={v}" for k, v in rep.params.items())
    out.append(f"seed={rep.seed}  {params}  ({rep.elapsed_s:.2f} s)")
    return "\n".join(out)


def format_table(table: Table) -> str:
    percent = [c in table.percent for c in table.columns]
    cells = [table.columns] + [[fmt(v, percent=pc) for v, pc in zip(row, percent, strict=False)] for row in table.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    lines = [table.title] if table.title else []
    for n, row in enumerate(cells):
        padded = (c.rjust(w) if n and _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True))
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    try:
        float(text.removesuffix("%"))
    except ValueError:
        return False
    return True


def format_plot(rep: Report, plot: Plot, width: int = 78, height: int = 14, color: bool = False) -> str:
    try:
        import plotext as plt
    except ImportError:  # a table of a few points is still readable
        rows = []
        for name in plot.series:
            s = rep.series[name]
            idx = sorted({0, len(s.x) // 4, len(s.x) // 2, 3 * len(s.x) // 4, len(s.x) - 1}) if s.x else []
            rows += [[name, s.x[i], s.y[i]] for i in idx]
        return format_table(Table(plot.title, ["series", plot.xlabel or "x", plot.ylabel or "y"], rows))
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    ys: list[float] = []
    for name in plot.series:
        s = rep.series[name]
        pts = [(x, y) for x, y in zip(s.x, s.y, strict=True) if _plottable(x, plot.log_x) and _plottable(y, plot.log_y)]
        if pts:
            draw = plt.scatter if plot.scatter else plt.plot
            draw([p[0] for p in pts], [p[1] for p in pts], label=name, marker="braille")
            ys += [p[1] for p in pts]
    if plot.log_x:
        plt.xscale("log")
    if plot.log_y:
        plt.yscale("log")
        if ys:
            plt.yticks(*decade_ticks(min(ys), max(ys)))
    plt.title(plot.title)
    plt.xlabel(plot.xlabel)
    plt.ylabel(plot.ylabel)
    text = plt.build()
    return text if color else plt.uncolorize(text)


def _plottable(v: float | None, log: bool) -> bool:
    return v is not None and math.isfinite(v) and (v > 0 or not log)


def normalise(im: Image) -> list[list[float]]:
    """Pixels scaled to 0..1 with the image's ``vmin``/``vmax`` (or its own range)."""
    flat = [v for row in im.pixels for v in row if v is not None]
    lo = im.vmin if im.vmin is not None else min(flat, default=0.0)
    hi = im.vmax if im.vmax is not None else max(flat, default=1.0)
    span = (hi - lo) or 1.0
    return [[min(1.0, max(0.0, ((v if v is not None else lo) - lo) / span)) for v in row] for row in im.pixels]


def format_images(images: list[Image], color: bool, title: str = "", scale: int = 1) -> str:
    """Images side by side, each with its title underneath."""
    blocks = [_labelled_cells(im) if im.labels else _image_lines(im, color, scale) for im in images]
    height = max(len(b) for b in blocks)
    widths = [max(len(_strip_ansi(line)) for line in b) if b else 0 for b in blocks]
    widths = [max(w, len(im.title)) for w, im in zip(widths, images, strict=True)]
    lines = [title] if title and (len(images) > 1 or images[0].title != title) else []
    for r in range(height):
        parts = []
        for b, w in zip(blocks, widths, strict=True):
            line = b[r] if r < len(b) else ""
            parts.append(line + " " * (w - len(_strip_ansi(line))))
        lines.append("  ".join(parts).rstrip())
    lines.append("  ".join(im.title.ljust(w) for im, w in zip(images, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _image_lines(im: Image, color: bool, scale: int) -> list[str]:
    px = normalise(im)
    px = [[v for v in row for _ in range(scale)] for row in px for _ in range(scale)]
    if not color:
        return ["".join(ASCII_RAMP[round(v * (len(ASCII_RAMP) - 1))] * 2 for v in row) for row in px]
    lines = []
    for r in range(0, len(px), 2):
        top, bottom = px[r], px[r + 1] if r + 1 < len(px) else None
        cells = []
        for c, t in enumerate(top):
            fg = round(t * 255)
            if bottom is None:
                cells.append(f"\033[38;2;{fg};{fg};{fg}m▀\033[0m")
            else:
                bg = round(bottom[c] * 255)
                cells.append(f"\033[38;2;{fg};{fg};{fg};48;2;{bg};{bg};{bg}m▀\033[0m")
        lines.append("".join(cells))
    return lines


def _labelled_cells(im: Image) -> list[str]:
    width = max(len(fmt(v)) for row in im.pixels for v in row)
    return [" ".join(fmt(v).rjust(width) for v in row) for row in im.pixels]


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)
