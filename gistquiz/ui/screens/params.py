"""The parameter form of a demo, built from its parameter table and checked by the demo's own rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from gistquiz.demo_params import check, check_seed, param


class ParamsScreen(ModalScreen[tuple[int, dict[str, Any]] | None]):
    """Returns (seed, overrides) on Run, ``None`` on Cancel."""

    DEFAULT_CSS = """
    ParamsScreen {
        align: center middle;
    }
    #params-fields {
        height: auto;
        max-height: 15;
    }
    .param-input {
        margin-bottom: 1;
    }
    .param-error {
        color: $error;
        height: auto;
        display: none;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+r", "submit", "Run")]

    def __init__(self, demo: str, spec: list[dict[str, Any]], current: dict[str, Any], seed: int, folder: Path):
        super().__init__()
        self.demo = demo
        self.spec = spec
        self.current = current
        self.seed = seed
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(id="params-dialog", classes="dialog"):
            yield Label(f"Parameters of {self.demo} (Enter or Ctrl+R runs, Esc cancels)", id="params-title")
            with VerticalScroll(id="params-fields"):
                yield from self.field("seed", str(self.seed), "random seed (0 ..)", "")
                for p in self.spec:
                    value = self.current.get(p["name"], p["default"])
                    rng = param(p, self.folder).describe_range()
                    yield from self.field(p["name"], _text(value), p.get("help", ""), rng)
            with Horizontal(id="params-buttons", classes="dialog-buttons"):
                yield Button("Run", id="run", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(".param-input", Input).focus()

    def field(self, name: str, value: str, help: str, rng: str):
        detail = f"  {help}" + (f" ({rng})" if rng else "")
        yield Label(Text.assemble((name, "bold"), (detail, "dim")), classes="param-label")
        yield Input(value=value, id=f"param-{name}", classes="param-input", compact=True)
        yield Static("", id=f"error-{name}", classes="param-error")

    def values(self) -> tuple[int, dict[str, Any]] | None:
        """The form's values, or ``None`` after showing every bad one in place."""
        ok = True
        overrides: dict[str, Any] = {}
        seed = 0
        fields = [{"name": "seed"}, *self.spec]
        for p in fields:
            raw = self.query_one(f"#param-{p['name']}", Input).value
            error = self.query_one(f"#error-{p['name']}", Static)
            try:
                value = check_seed(raw, self.folder) if p["name"] == "seed" else check(p, raw, self.folder)
            except ValueError as err:
                error.update(f"! {err}")
                error.display = True
                ok = False
                continue
            error.display = False
            if p["name"] == "seed":
                seed = value
            elif value != p["default"]:
                overrides[p["name"]] = value
        return (seed, overrides) if ok else None

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_submit(self) -> None:
        values = self.values()
        if values is not None:
            self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
