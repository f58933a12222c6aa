"""A demo's result, drawn from the JSON it printed: the card's claim and the measured headline first,
then curves and small pictures, then (collapsed) tables, metrics and notes."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from gistquiz.deck import Card
from gistquiz.demo_params import harness
from gistquiz.locations import demos_dir
from gistquiz.ui.widgets.pixels import heatmap_table, image_text


def fmt(v: Any, percent: bool = False) -> str:
    """A number as the demos' text report writes it (``demos/harness.py``), a dash for a missing one."""
    return demo_harness().fmt(v, missing="–", percent=percent)


def demo_harness() -> ModuleType:
    """The bundled demos' ``harness.py``: its number formatting and log-axis ticks are the reports' own."""
    return harness(demos_dir())


def column_groups(widths: list[int], width: int, gap: int = 1) -> list[list[int]]:
    """Split a table's columns into groups that each fit ``width`` cells, the first column repeated in each.

    A table wider than the screen is wrapped, like a long line, rather than cut ("line…", "0.9…"):
    ``[[0, 1, 2], [0, 3, 4]]`` draws columns 0-2, then 0, 3 and 4 under them.
    """
    groups: list[list[int]] = []
    current, used = [0], widths[0] if widths else 0
    for i in range(1, len(widths)):
        if len(current) > 1 and used + gap + widths[i] > width:
            groups.append(current)
            current, used = [0], widths[0]
        current.append(i)
        used += gap + widths[i]
    groups.append(current)
    return groups


class FittedTable:
    """A result table as Rich renders it, wrapped into column groups that fit the width it is drawn at."""

    def __init__(self, title: str, columns: list[str], cells: list[list[str]], numeric: list[bool] | None = None):
        self.title, self.columns, self.cells = title, columns, cells
        self.numeric = numeric or [False] * len(columns)
        """Columns of numbers, aligned right; words read from the left."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [max(len(c), *(len(row[i]) for row in self.cells)) for i, c in enumerate(self.columns)]
        for n, group in enumerate(column_groups(widths, options.max_width, gap=2)):
            title = self.title if n == 0 else ""
            table = Table(title=title or None, box=None, padding=(0, 1), pad_edge=False, title_justify="left")
            for i in group:
                # fold, never an ellipsis: a number cut to "0.9…" is a wrong number
                table.add_column(
                    Text(self.columns[i]),
                    min_width=min(widths[i], options.max_width),
                    overflow="fold",
                    justify="right" if self.numeric[i] and i else "left",
                )
            for row in self.cells:
                table.add_row(*(Text(row[i]) for i in group))  # a demo's output is text, never markup
            yield table


def result_table(t: dict[str, Any]) -> FittedTable:
    """A report's table (its JSON form) with its cells formatted by the reports' own ``fmt``."""
    columns, rows, percent = list(t["columns"]), t["rows"][:40], set(t.get("percent") or [])
    cells = [[fmt(v, percent=c in percent) for v, c in zip(row, columns, strict=False)] for row in rows]
    numeric = [
        all(
            isinstance(v, int | float) and not isinstance(v, bool)
            for row in rows
            for v in row[i : i + 1]
            if v is not None
        )
        for i in range(len(columns))
    ]
    return FittedTable(t.get("title") or "", columns, cells, numeric)


class DemoResult(Vertical):
    """Renders one result dict; build a new one for each result.

    What the learner came for leads: the claim and the measured headline, then the curves and pictures;
    the tables, metrics and notes follow in a collapsed part (Enter or a click on its title opens it).
    """

    DEFAULT_CSS = """
    DemoResult {
        height: auto;
    }
    DemoResult .lead-claim {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DemoResult .lead-measured {
        margin-bottom: 1;
    }
    DemoResult .metrics, DemoResult .result-table, DemoResult .heatmap, DemoResult .images {
        margin-bottom: 1;
        height: auto;
    }
    DemoResult .result-plot {
        height: 14;
        margin-bottom: 1;
    }
    DemoResult .result-details {
        margin: 0;
        padding: 0;
        border: none;
    }
    DemoResult .result-footer {
        color: $text-muted;
    }
    """

    def __init__(self, result: dict[str, Any], card: Card | None = None, when: str = "", **kw: Any):
        super().__init__(**kw)
        self.result = result
        self.card = card
        self.when = when

    def compose(self) -> ComposeResult:
        r = self.result
        if self.card is not None:  # without a card (the demos screen) the panel's title is the claim
            claim = card_claim(self.card)
            yield Static(Text.assemble(("Card says ", "italic dim"), claim), classes="lead-claim", markup=False)
        yield Static(
            Text.assemble(("Measured  ", "italic dim"), (r.get("headline", ""), "bold")),
            classes="lead-measured",
            markup=False,
        )
        plots = r.get("plots", [])
        if plots:  # the first curve is the demo's point; the others are in the details with the tables
            yield make_plot(plots[0], r.get("series", {}))
        yield from image_rows(r.get("images", []))
        tables = [result_table(t) for t in r.get("tables", [])]
        more = plots[1:]
        parts = [f"{len(more)} more plot(s)"] if more else []
        parts += [f"{len(tables)} table(s)"] if tables else []
        parts += ["metrics"] if r.get("metrics") else []
        parts += ["notes"] if r.get("notes") else []
        if parts:
            title = ", ".join(parts)
            with Collapsible(title=title[0].upper() + title[1:], collapsed=True, classes="result-details"):
                for table in tables:
                    yield Static(table, classes="result-table", markup=False)
                for plot in more:
                    yield make_plot(plot, r.get("series", {}))
                if r.get("metrics"):
                    metrics = Table("metric", "value", box=None, padding=(0, 2), show_edge=False)
                    for k, v in r["metrics"].items():
                        metrics.add_row(Text(k.replace("_", " ")), Text(fmt(v)))
                    yield Static(metrics, classes="metrics", markup=False)
                for note in r.get("notes", []):
                    yield Static(Text(f"note: {note}", style="dim"), markup=False)
        footer = f"seed {r.get('seed', 0)} · " + ", ".join(f"{k}={v}" for k, v in r.get("params", {}).items())
        footer += f" · {r.get('elapsed_s', 0):.1f} s" + (f" · ran {self.when}" if self.when else "")
        yield Static(Text(footer, style="dim"), classes="result-footer", markup=False)


def card_claim(card: Card, limit: int = 220) -> str:
    """The card's question and answer on one line, shortened: the claim the demo's numbers stand beside."""
    back = " ".join((card.cloze_text or card.back).split())
    text = f"{' '.join(card.front.split())} {back}".strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_plot(plot: dict[str, Any], series: dict[str, Any]):
    """A plotext chart of some series; a table of a few points if plotting is not available."""
    try:
        from textual_plotext import PlotextPlot
    except ImportError:  # pragma: no cover - textual-plotext is a dependency
        return Static(f"{plot['title']}: (install textual-plotext to see the curve)", markup=False)

    class ResultPlot(PlotextPlot):
        def render(self):
            # plotext fails (IndexError in its legend) on a canvas a few cells high, which a plot briefly
            # has while a screen is laid out: draw nothing until it has room
            if self.size.height < 6 or self.size.width < 20:
                return ""
            self.draw()  # afresh each time: plotext's build takes the log of a log axis's data in place
            try:
                return super().render()
            except IndexError:
                return ""

        def draw(self) -> None:
            plt = self.plt
            plt.clear_figure()
            ys: list[float] = []
            for name in plot["series"]:
                s = series.get(name)
                if not s:
                    continue
                pts = [
                    (x, y)
                    for x, y in zip(s["x"], s["y"], strict=False)
                    if _ok(x, plot.get("log_x")) and _ok(y, plot.get("log_y"))
                ]
                if pts:
                    draw = plt.scatter if plot.get("scatter") else plt.plot
                    draw([p[0] for p in pts], [p[1] for p in pts], label=name, marker="braille")
                    ys.extend(p[1] for p in pts)
            if plot.get("log_x"):
                plt.xscale("log")
            if plot.get("log_y"):
                plt.yscale("log")
                if ys:
                    plt.yticks(*demo_harness().decade_ticks(min(ys), max(ys)))
            plt.title(plot["title"])
            plt.xlabel(plot.get("xlabel", ""))
            plt.ylabel(plot.get("ylabel", ""))

    return ResultPlot(classes="result-plot")


def _ok(v: Any, log: bool | None) -> bool:
    return v is not None and math.isfinite(v) and (v > 0 or not log)


def image_rows(images: list[dict[str, Any]]):
    groups: dict[str, list[dict[str, Any]]] = {}
    for im in images:
        groups.setdefault(im.get("group") or im["title"], []).append(im)
    for name, ims in groups.items():
        if any(im.get("labels") for im in ims):
            for im in ims:
                yield Static(heatmap_table(im["pixels"], title=im["title"]), classes="heatmap", markup=False)
            continue
        scale = 2 if max(len(im["pixels"][0]) for im in ims if im["pixels"]) <= 8 else 1
        with_titles = []
        for im in ims:
            pic = image_text(im["pixels"], im.get("vmin"), im.get("vmax"), scale=scale)
            with_titles.append(Text.assemble(pic, "\n", (im["title"][:14], "dim")))
        per_line = max(1, 72 // (len(ims[0]["pixels"][0]) * scale + 2)) if ims[0]["pixels"] else 1
        columns = min(per_line, len(with_titles))
        row = Table.grid(padding=(0, 2))
        for _ in range(columns):
            row.add_column()
        for start in range(0, len(with_titles), columns):
            chunk = with_titles[start : start + columns]
            row.add_row(*chunk, *[""] * (columns - len(chunk)))
        if len(ims) > 1:
            yield Static(Text(name, style="bold"), classes="image-title", markup=False)
        yield Static(row, classes="images", markup=False)
