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
    #params-title, .param-label {
        width: 1fr;  /* a long help text wraps instead of running off the dialog */
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
                yield from self.field("seed", str(self.seed), "random seed", self.allowed(SEED))
                for p in self.spec:
                    value = self.current.get(p["name"], p["default"])
                    yield from self.field(p["name"], _text(value), p.get("help", ""), self.allowed(p))
            with Horizontal(id="params-buttons", classes="dialog-buttons"):
                yield Button("Run", id="run", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(".param-input", Input).focus()

    def allowed(self, spec: dict[str, Any]) -> str:
        """What a field takes, in words: "a whole number from 2 to 10", "one of sgd | adam"."""
        p = param(spec, self.folder)
        if p.choices is not None:
            return "one of " + p.describe_range()
        kind = KINDS.get(p.type.__name__, p.type.__name__)
        if p.low is not None and p.high is not None:
            return f"{kind} from {_text(p.low)} to {_text(p.high)}"
        if p.low is not None:
            return f"{kind}, at least {_text(p.low)}"
        if p.high is not None:
            return f"{kind}, at most {_text(p.high)}"
        return kind

    def field(self, name: str, value: str, help: str, allowed: str):
        detail = f"  {help}" + (f" ({allowed})" if allowed else "")
        yield Label(Text.assemble((name, "bold"), (detail, "dim")), classes="param-label")
        yield Input(value=value, id=f"param-{name}", classes="param-input", compact=True)
        yield Static("", id=f"error-{name}", classes="param-error", markup=False)

    def values(self) -> tuple[int, dict[str, Any]] | None:
        """The form's values, or ``None`` after showing every bad one in place."""
        bad: list[Input] = []
        overrides: dict[str, Any] = {}
        seed = 0
        fields = [SEED, *self.spec]
        for p in fields:
            field = self.query_one(f"#param-{p['name']}", Input)
            error = self.query_one(f"#error-{p['name']}", Static)
            try:
                value = check_seed(field.value, self.folder) if p is SEED else check(p, field.value, self.folder)
            except ValueError as err:
                error.update(f"! {err} · allowed: {self.allowed(p)}")
                error.display = True
                bad.append(field)
                continue
            error.display = False
            if p["name"] == "seed":
                seed = value
            elif value != p["default"]:
                overrides[p["name"]] = value
        if bad:  # the first bad field and its message in view, the cursor in it: Enter never seems to do nothing
            bad[0].focus()
            self.call_after_refresh(self.query_one(f"#error-{bad[0].id.removeprefix('param-')}").scroll_visible)
            return None
        return seed, overrides

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_submit(self) -> None:
        values = self.values()
        if values is not None:
            self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


SEED: dict[str, Any] = {"name": "seed", "default": 0, "low": 0, "high": 2**32 - 1, "help": "random seed"}
"""The seed's field, described as the demos check it (``harness.seed_param``)."""
KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "text"}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
