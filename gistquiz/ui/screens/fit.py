"""Fit FSRS to the learner's own reviews from the app: progress while the child process fits (Esc ends it),
then the evidence and what applying would change, and a question before anything is written.

The fit is ``gistquiz optimize``'s, run by :class:`gistquiz.fit_job.Job` in a child process (fsrs-rs holds
Python's lock while it fits: in a thread it would freeze the app). The child only reads; applying is done
here, after the learner says so, by :func:`gistquiz.fit_job.apply`.
"""

from __future__ import annotations

from typing import Any

from fsrs.scheduler import DEFAULT_PARAMETERS
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static

from gistquiz.fit_job import Done, Job, Phase


class FitScreen(ModalScreen[str | None]):
    """Dismisses with the mode applied ('future' or 'reschedule'), or None when nothing changed."""

    DEFAULT_CSS = """
    FitScreen {
        align: center middle;
    }
    #fit-report {
        height: auto;
        max-height: 14;
    }
    #fit-buttons Button {
        margin-left: 1;
        width: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("f", "apply('future')", "Apply, keep due dates"),
        Binding("r", "apply('reschedule')", "Apply and reschedule"),
        Binding("n", "cancel", "Don't apply"),
    ]

    def __init__(self, job: Job):
        super().__init__()
        self.job = job
        self.result: dict[str, Any] | None = None
        self.applying = False

    def compose(self) -> ComposeResult:
        with Vertical(id="fit-dialog", classes="dialog"):
            yield Label(Text("Fit FSRS to your reviews", style="bold"), id="fit-title")
            yield Static("Starting… (Esc cancels)", id="fit-phase", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="fit-progress")
            with VerticalScroll(id="fit-report"):
                yield Static("", id="fit-text", markup=False)
            with Horizontal(id="fit-buttons", classes="dialog-buttons"):
                yield Button(Text("Apply (f)"), id="apply-future", variant="primary")
                yield Button(Text("Apply, reschedule (r)"), id="apply-reschedule")
                yield Button(Text("Don't apply (n)"), id="decline")

    def on_mount(self) -> None:
        self.query_one("#fit-report").display = False
        self.show_buttons(False)
        self.drive()

    def show_buttons(self, asking: bool) -> None:
        self.query_one("#apply-future").display = asking
        self.query_one("#apply-reschedule").display = asking
        decline = self.query_one("#decline", Button)
        decline.label = Text("Don't apply (n)" if asking else "Close (Esc)")
        decline.refresh(layout=True)  # its width follows the new label
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":  # only once there is a better fit to apply
            return self.asking
        return True

    @property
    def asking(self) -> bool:
        return bool(self.result and self.result.get("events")) and not self.applying

    @work(thread=True, group="fit")
    def drive(self) -> None:
        for event in self.job.events():
            if isinstance(event, Phase):
                self.app.call_from_thread(self.progress, event)
            else:
                self.app.call_from_thread(self.finished, event)

    def progress(self, p: Phase) -> None:
        self.query_one("#fit-phase", Static).update(f"{p.phase}… ({p.step} of {p.total}; Esc cancels)")
        bar = self.query_one("#fit-progress", ProgressBar)
        bar.update(total=p.total, progress=max(0, p.step - 1))

    def finished(self, done: Done) -> None:
        if done.cancelled:
            return
        self.query_one("#fit-progress").display = False
        phase = self.query_one("#fit-phase", Static)
        if done.result is None:
            phase.update(Text(f"! the fit failed: {done.error}. Nothing changed.", style="red"))
            self.show_buttons(False)
            return
        self.result = done.result
        fits = done.result["fits"]
        if not fits:
            lines = "\n".join(done.result["refused"])
            phase.update(Text(f"Not enough history to fit: nothing changed.\n{lines}", style="yellow"))
            self.show_buttons(False)
            return
        phase.update(headline(done.result))
        self.query_one("#fit-text", Static).update(report(done.result))
        self.query_one("#fit-report").display = True
        self.show_buttons(self.asking)
        self.query_one("#apply-future" if self.asking else "#decline", Button).focus()

    @on(Button.Pressed, "#apply-future")
    def _future(self) -> None:
        self.action_apply("future")

    @on(Button.Pressed, "#apply-reschedule")
    def _reschedule(self) -> None:
        self.action_apply("reschedule")

    def action_apply(self, mode: str) -> None:
        if not self.asking:
            return
        self.applying = True
        self.refresh_bindings()
        self.query_one("#fit-phase", Static).update("Applying… (a backup of your reviews is taken first)")
        self.write(mode)

    @work(thread=True, group="fit-apply")
    def write(self, mode: str) -> None:
        from gistquiz.errors import StoreError
        from gistquiz.fit_job import StaleFit, apply

        ws = self.app.workspace
        try:
            apply(ws.store, self.result, mode)
        except (StaleFit, StoreError) as err:
            self.app.call_from_thread(self.failed, str(err))
            return
        # The next review is scheduled with the parameters just applied (the scheduler is read again).
        vars(ws).pop("scheduler", None)
        self.app.call_from_thread(self.dismiss, mode)

    def failed(self, message: str) -> None:
        self.applying = False
        self.result = None
        self.query_one("#fit-phase", Static).update(Text(f"! not applied: {message}. Nothing changed.", style="red"))
        self.show_buttons(False)

    @on(Button.Pressed, "#decline")
    def action_cancel(self) -> None:
        if self.applying:
            return  # the write is one transaction already under way: let it finish
        self.job.cancel()
        self.dismiss(None)


def headline(result: dict[str, Any]) -> Text:
    """One line: whether the fit predicts the held-out reviews better, and so whether there is anything to apply."""
    if result.get("events"):
        return Text(
            "The fit predicts your held-out reviews better. Apply it (f: due dates kept; r: recomputed)?",
            style="bold green",
        )
    notes = "; ".join(f["note"] for f in result["fits"] if f["note"])
    return Text(f"Nothing to apply: {notes}.", style="yellow")


def report(result: dict[str, Any]) -> Text:
    """The evidence and what applying changes, in lines of at most 62 cells (the dialog's width at 80 columns):
    per fit the held-out log loss and RMSE(bins) of the parameters in use and of the fit; then cards due today,
    predicted recall today and a simulated year's workload, now and after; then every parameter, old and new."""
    text = Text()
    for f in result["fits"]:
        scope = f"Deck '{f['deck']}'" if f["deck"] else "All decks"
        text.append(f"{scope}: {f['items']} reviews of {f['cards']} cards\n", style="bold")
        text.append(f"  fitted on the earliest {f['fitted_on']}, judged on the latest {f['held_out']}\n")
        base, fitted = f["baseline"], f["fitted"]
        text.append(_row("held out (lower is better)", f["baseline_name"], "fitted"), style="dim")
        text.append(_row("log loss", f"{base['log_loss']:.4f}", f"{fitted['log_loss']:.4f}"))
        text.append(_row("RMSE(bins)", f"{base['rmse_bins']:.4f}", f"{fitted['rmse_bins']:.4f}"))
    if not result.get("events"):
        return text
    due, recall = result["due_today"], result["recall_today"]
    text.append(_row("If applied", "now", "after", indent=""), style="bold")
    text.append(_row("cards due today", due["before"], due["future"]))
    text.append(_row("  if rescheduled", "", due["reschedule"]))
    text.append(_row("predicted recall today", _pct(recall["before"]), _pct(recall["after"])))
    if w := result.get("workload"):
        b, a = w["before"], w["after"]
        text.append(f"  a simulated year of {w['cards']} cards at {w['retention']:.0%} retention:\n", style="dim")
        text.append(_row("reviews per day", f"{b['reviews_per_day']:.1f}", f"{a['reviews_per_day']:.1f}"))
        text.append(_row("minutes per day", f"{b['minutes_per_day']:.1f}", f"{a['minutes_per_day']:.1f}"))
        text.append(_row("cards remembered", f"{b['remembered']:.0f}", f"{a['remembered']:.0f}"))
    for ev in result["events"]:
        old = result["current"].get(str(ev["deck"])) or result["current"].get("None") or DEFAULT_PARAMETERS
        scope = f"deck '{ev['deck']}'" if ev["deck"] else "all decks"
        text.append(f"Parameters for {scope}: in use → fitted\n", style="bold")
        cells = [f"w{i:<2} {o:6.3f}→{n:<6.3f}" for i, (o, n) in enumerate(zip(old, ev["parameters"], strict=True))]
        for i in range(0, len(cells), 3):
            text.append("  " + "   ".join(cells[i : i + 3]) + "\n")
    return text


def _row(label: str, now: object, after: object, indent: str = "  ") -> str:
    return f"{indent}{label:<{28 - len(indent)}}{now!s:>12}{after!s:>12}\n"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"
