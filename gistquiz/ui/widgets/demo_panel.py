"""Run a card's demo in place: progress while it runs (Esc cancels), then its result or its error.

The demo runs in a child process through :class:`gistquiz.runner.DemoRun`, driven
from a thread worker; the UI thread only receives progress and the outcome.
The last result per card and parameters is kept in the demo cache, so revisiting
a card shows it at once, marked with when it ran. The panel never navigates: for
the parameter form it posts :class:`DemoPanel.ParamsWanted`, and the screen
hosting it opens the form and hands the values back to :meth:`DemoPanel.use_params`.
The one exception is the trust question before a demo of the learner's own first runs (see
:mod:`gistquiz.trust`): a modal the panel opens itself, so that every screen hosting it asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar, Static

from gistquiz.deck import Card
from gistquiz.demo_cache import DemoCache
from gistquiz.registry import DemoInfo, Where, demo_info, folders
from gistquiz.runner import DemoRun, Outcome, Progress


def ago(when: str, now: datetime) -> str:
    try:
        t = datetime.fromisoformat(when)
    except ValueError:
        return when
    minutes = int((now - t).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"on {t.astimezone():%Y-%m-%d}"


class DemoPanel(Vertical):
    """The demo of one card (or of no card, from the demos screen)."""

    DEFAULT_CSS = """
    DemoPanel {
        height: auto;
        border: round $accent;
        padding: 0 1;
        margin-top: 1;
    }
    #demo-progress {
        margin: 0 0 1 0;
    }
    #demo-body {
        height: auto;
    }
    """

    @dataclass
    class Finished(Message):
        """A run ended (result, error or cancel)."""

        outcome: Outcome

    @dataclass
    class ParamsWanted(Message):
        """The learner asked for the parameter form (``p``); the values go back through ``panel.use_params``."""

        panel: DemoPanel
        demo: str
        spec: list[dict[str, Any]]
        """The demo's parameter table, as :func:`gistquiz.runner.list_params` reads it."""
        params: dict[str, Any]
        seed: int
        folder: Path
        """The bundled demos folder: its ``harness.py`` has the rules the form checks values by (the demo's own)."""

        @property
        def control(self) -> DemoPanel:
            return self.panel

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.card: Card | None = None
        self.demo = ""
        self.params: dict[str, Any] = {}
        self.seed = 0
        self.folder: tuple[Path, ...] | None = None
        """Where demos are found (the bundled folder first, then the learner's)."""
        self.cache: DemoCache | None = None
        """The last result per card and parameters."""
        self._run: DemoRun | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="demo-title", markup=False)
        yield Static("", id="demo-status", markup=False)
        yield ProgressBar(total=100, show_eta=False, id="demo-progress")
        yield Vertical(id="demo-body")

    @property
    def running(self) -> bool:
        return self._run is not None

    def show_card(self, card: Card | None, folder: Where, cache: DemoCache, demo: str | None = None) -> None:
        """Show the card's demo (found in ``folder``, one or several in search order): its claim and the cached
        result for the current parameters."""
        self.stop()
        self.card, self.folder, self.cache = card, folders(folder), cache
        self.demo = demo or (card.demo if card else "") or ""
        self.params, self.seed = {}, 0
        info = demo_info(self.demo, self.folder)
        claim = info.claim if info else "(this demo is missing)"
        mine = " (yours)" if info is not None and info.source == "user" else ""
        title = Text.assemble(("Demo ", "bold"), (self.demo, "bold"), mine, f": {claim}")
        self.query_one("#demo-title", Static).update(title)
        self.query_one("#demo-progress", ProgressBar).display = False
        self.show_cached()

    def cache_key(self) -> dict[str, Any]:
        return {**self.params, "seed": self.seed}

    def card_key(self) -> str:
        return self.card.key if self.card else f"demo:{self.demo}"

    def show_cached(self) -> None:
        assert self.cache is not None
        cached = self.cache.get(self.card_key(), self.demo, self.cache_key())
        body = self.query_one("#demo-body", Vertical)
        body.remove_children()
        if cached is None:
            self.status("r runs it and shows the result here; p sets its parameters.")
            return
        result, ran_at = cached
        when = ago(ran_at, self.app.clock())
        self.status(f"Last run {when} (cached) · r runs it again · p parameters")
        self.show_result(result, when)

    def status(self, text: str | Text) -> None:
        self.query_one("#demo-status", Static).update(text)

    def show_result(self, result: dict[str, Any], when: str = "") -> None:
        from gistquiz.ui.widgets.demo_result import DemoResult

        body = self.query_one("#demo-body", Vertical)
        body.remove_children()
        body.mount(DemoResult(result, self.card, when))

    # ----------------------------------------------------------------- running

    def run(self) -> None:
        if self.running or not self.demo or self.folder is None:
            return
        self._when_trusted(self._start)

    def _when_trusted(self, then: Callable[[], None]) -> None:
        """``then()`` at once for a bundled or trusted demo; for the learner's own demo as it is now not yet
        trusted, after a yes to the trust question (reading its parameters runs its code too)."""
        info = demo_info(self.demo, self.folder)
        if info is None or info.source != "user" or self._trusted(info, then):
            then()

    def _trusted(self, info: DemoInfo, then: Callable[[], None]) -> bool:
        """Whether the learner's own demo may run as it is now; if not, ask (``then`` runs on a yes)."""
        from gistquiz import trust

        try:
            code = trust.demo_code(info.path)
        except OSError as err:
            self.status(Text(f"! cannot read {info.path}: {err.strerror or err}", style="bold red"))
            return False
        store = self.app.workspace.store
        if trust.is_trusted(store, code):
            return True
        from gistquiz.ui.screens.editor import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not self.showing():
                return
            if yes:
                trust.allow(store, code, self.app.clock())
                then()
            else:
                self.status(
                    Text(
                        f"Not run: you did not allow {info.path} to run. r asks again; 'gistquiz new-demo' writes "
                        "demos that run without asking.",
                        style="bold yellow",
                    )
                )

        self.app.push_screen(ConfirmScreen(trust.question(code), "Run it", "Do not run", wide=True), answered)
        return False

    def _start(self) -> None:
        assert self.folder is not None
        try:
            self._run = DemoRun(self.demo, self.params, self.seed, folder=self.folder)
        except LookupError as err:
            self.status(Text(f"! {err}", style="bold red"))
            return
        bar = self.query_one("#demo-progress", ProgressBar)
        bar.update(total=100, progress=0)
        bar.display = True
        self.status("Starting… (Esc cancels)")
        self._drive(self._run)

    def showing(self) -> bool:
        """Whether the panel and its parts are still on screen: a demo's last message can arrive after its
        screen was left (Esc, Esc), and must then change nothing rather than fail the worker."""
        return self.is_attached and bool(self.query("#demo-status"))

    @work(thread=True, group="demo")
    def _drive(self, run: DemoRun) -> None:
        for event in run.events():
            if isinstance(event, Progress):
                self.app.call_from_thread(self._progress, event)
            else:
                self.app.call_from_thread(self._finished, event)

    def _progress(self, p: Progress) -> None:
        if not self.showing():
            return
        bar = self.query_one("#demo-progress", ProgressBar)
        bar.update(total=max(p.total, 1), progress=p.step)
        info = p.info
        parts = [str(info.get("message") or f"step {p.step}/{p.total}")]
        for key in ("loss", "accuracy"):
            if isinstance(info.get(key), int | float):
                parts.append(f"{key} {info[key]:.4g}")
        self.status(" · ".join(parts) + "   (Esc cancels)")

    def _finished(self, outcome: Outcome) -> None:
        self._run = None
        if not self.showing():
            return
        self.query_one("#demo-progress", ProgressBar).display = False
        if outcome.ok and outcome.result is not None:
            assert self.cache is not None
            self.cache.save(self.card_key(), self.demo, self.cache_key(), outcome.result, self.app.clock())
            self.status(f"Finished in {outcome.elapsed_s:.1f} s · r runs it again · p parameters")
            self.show_result(outcome.result, "just now")
        elif outcome.cancelled:
            self.status("Cancelled. r runs it again.")
        else:
            text = Text(f"! The demo failed: {self.shown(outcome.error)}\n", style="bold red")
            for line in outcome.tail[-8:]:
                text.append(f"  {self.shown(line)}\n", style="dim")
            self.status(text)
        self.post_message(self.Finished(outcome))

    def shown(self, text: str) -> str:
        """Text with its paths as the app shows them (in a browser tab, not the server's); as is in another host."""
        shown_text = getattr(self.app, "shown_text", None)
        return shown_text(text) if shown_text else text

    def cancel(self) -> None:
        if self._run is not None:
            self._run.cancel()

    def stop(self) -> None:
        """Cancel a run in progress (the card is going away)."""
        self.cancel()

    def on_unmount(self) -> None:
        self.cancel()

    # ----------------------------------------------------------------- parameters

    def edit_params(self) -> None:
        """Read the demo's parameter table (off the UI thread: a child process tells it), then ask for the form."""
        if self.folder is None or not self.demo or self.running:
            return
        self._when_trusted(self._read_params)

    def _read_params(self) -> None:
        assert self.folder is not None
        self.status("Reading the demo's parameters…")
        self._load_params(self.folder)

    @work(thread=True, exclusive=True, group="demo-params")
    def _load_params(self, folder: tuple[Path, ...]) -> None:
        from gistquiz.runner import list_params

        try:
            spec = list_params(self.demo, folder)
        except Exception as err:  # a broken demo: say so in place
            self.app.call_from_thread(self.status, Text(f"! cannot read the parameters: {err}", style="red"))
            return
        self.app.call_from_thread(self._want_params, spec, folder)

    def _want_params(self, spec: list[dict[str, Any]], folder: tuple[Path, ...]) -> None:
        self.post_message(self.ParamsWanted(self, self.demo, spec, self.params, self.seed, folder[0]))

    def use_params(self, values: tuple[int, dict[str, Any]] | None) -> None:
        """The form's answer: (seed, overrides) runs the demo with them; ``None`` (cancelled) changes nothing."""
        if values is None:
            self.show_cached()
            return
        self.seed, self.params = values
        self.run()
