"""A demo's result, drawn from the JSON it printed: headline, the card's claim beside it, metrics,
tables, curves and small pictures."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from gistquiz.deck import Card
from gistquiz.demo_params import harness
from gistquiz.locations import demos_dir
from gistquiz.ui.widgets.pixels import heatmap_table, image_text


def fmt(v: Any) -> str:
    """A number as the demos' text report writes it (``demos/harness.py``), a dash for a missing one."""
    return demo_harness().fmt(v, missing="–")


def demo_harness() -> ModuleType:
    """The bundled demos' ``harness.py``: its number formatting and log-axis ticks are the reports' own."""
    return harness(demos_dir())


class DemoResult(Vertical):
    """Renders one result dict; build a new one for each result."""

    DEFAULT_CSS = """
    DemoResult {
        height: auto;
    }
    .headline {
        margin-bottom: 1;
    }
    .claim-vs-result {
        height: auto;
        margin-bottom: 1;
    }
    .claim, .measured {
        width: 1fr;
        height: auto;
        padding: 0 1;
        border: tall $panel;
    }
    .metrics, .result-table, .heatmap, .images {
        margin-bottom: 1;
        height: auto;
    }
    .result-plot {
        height: 14;
        margin-bottom: 1;
    }
    .result-footer {
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
        yield Static(Text(r.get("headline", ""), style="bold"), classes="headline")
        if self.card is not None:
            with Horizontal(classes="claim-vs-result"):
                yield Static(Text.assemble(("The card says\n", "italic"), card_claim(self.card)), classes="claim")
                yield Static(
                    Text.assemble(("The demo measured\n", "italic"), r.get("headline", "")), classes="measured"
                )
        if r.get("metrics"):
            table = Table("metric", "value", box=None, padding=(0, 2), show_edge=False)
            for k, v in r["metrics"].items():
                table.add_row(k.replace("_", " "), fmt(v))
            yield Static(table, classes="metrics")
        for t in r.get("tables", []):
            table = Table(*t["columns"], title=t.get("title") or None, box=None, padding=(0, 1), show_edge=False)
            for row in t["rows"][:40]:
                table.add_row(*(fmt(v) for v in row))
            yield Static(table, classes="result-table")
        for plot in r.get("plots", []):
            yield make_plot(plot, r.get("series", {}))
        yield from image_rows(r.get("images", []))
        for note in r.get("notes", []):
            yield Static(Text(f"note: {note}", style="dim"))
        footer = f"seed {r.get('seed', 0)} · " + ", ".join(f"{k}={v}" for k, v in r.get("params", {}).items())
        footer += f" · {r.get('elapsed_s', 0):.1f} s" + (f" · ran {self.when}" if self.when else "")
        yield Static(Text(footer, style="dim"), classes="result-footer")


def card_claim(card: Card, limit: int = 220) -> str:
    """The card's question and answer, shortened: the claim the demo's numbers stand beside."""
    back = " ".join((card.cloze_text or card.back).split())
    text = f"{' '.join(card.front.split())} {back}".strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_plot(plot: dict[str, Any], series: dict[str, Any]):
    """A plotext chart of some series; a table of a few points if plotting is not available."""
    try:
        from textual_plotext import PlotextPlot
    except ImportError:  # pragma: no cover - textual-plotext is a dependency
        return Static(f"{plot['title']}: (install textual-plotext to see the curve)")

    class ResultPlot(PlotextPlot):
        def on_mount(self) -> None:
            plt = self.plt
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
                yield Static(heatmap_table(im["pixels"], title=im["title"]), classes="heatmap")
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
            yield Static(Text(name, style="bold"), classes="image-title")
        yield Static(row, classes="images")
