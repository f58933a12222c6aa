"""An exercise card in the app: write the code, run the card's tests, see each verdict in place, then rate.

The review screen hands an exercise card here (Space on its front) and records the rating this screen
dismisses with, through the session like every other answer; ``None`` leaves the card unanswered.

Two states, each with the keys the bar shows:

- editing (the code has the focus): Ctrl+J runs the tests in a child process (a thread waits for it, so
  the screen stays live), Ctrl+O shows the solution beside the code, Ctrl+L loads the learner's last
  code for this card, Esc leaves (asking first when there is typed code; the code is kept either way);
- rating (once the tests passed or the solution shows; the verdict has the focus): Enter accepts the
  suggested rating (Good: passed on the first run, Hard: after fixes, Again: revealed before passing),
  1-4 choose, Tab goes back to the code.

Ctrl keys because the code takes every printable key, and these three reach the app in a browser tab
too (browsers keep Ctrl+R, Ctrl+W, Ctrl+T and Ctrl+N, and F5 reloads the page).

Before a deck's tests first run, a deck gistquiz neither ships nor wrote is asked about (:mod:`gistquiz.trust`);
saying no runs nothing, and the solution can still be shown and the card rated.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static, TextArea

from gistquiz import exercise as ex
from gistquiz import trust
from gistquiz.deck import Card
from gistquiz.scheduler import Rating, format_interval
from gistquiz.ui.in_order import after_queued_keys
from gistquiz.ui.screens.editor import ConfirmScreen, code_area
from gistquiz.ui.screens.home import reports_store_errors
from gistquiz.ui.widgets.key_bar import Key, KeyBar


class ExerciseScreen(Screen["Rating | None"]):
    DEFAULT_CSS = """
    ExerciseScreen #task {
        height: auto;
        max-height: 5;
        padding: 0 1;
    }
    ExerciseScreen #code-row {
        height: 1fr;
        min-height: 5;
    }
    ExerciseScreen #code {
        width: 1fr;
    }
    ExerciseScreen #solution-box {
        width: 1fr;
        display: none;
    }
    ExerciseScreen.revealed #solution-box {
        display: block;
    }
    ExerciseScreen #solution-title {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ExerciseScreen #solution {
        height: 1fr;
    }
    ExerciseScreen #verdict {
        height: auto;
        max-height: 7;
        padding: 0 1;
    }
    ExerciseScreen #verdict:focus {
        background: $boost;
    }
    ExerciseScreen #answer-bar {
        height: 1;
        text-align: center;
    }
    """

    BINDINGS = [
        # Not priority bindings: the code area lets these keys pass, and they reach the screen after the
        # keys typed before them are in the code (a priority ^j ran ahead of them and graded stale code).
        Binding("ctrl+j", "run", "Run the tests", key_display="^j"),
        Binding("ctrl+o", "reveal", "Show the solution beside your code", key_display="^o"),
        Binding("ctrl+l", "last_code", "Load your last code for this card", key_display="^l"),
        Binding("escape", "back", "Leave (your code is kept), or from the code to the rating", priority=True),
        Binding("enter", "accept", "Accept the suggested rating", show=False),
        *[Binding(r.key, f"rate({int(r)})", f"Rate {r.label}", show=False) for r in Rating],
        Binding("tab", "edit", "Back to your code", show=False),
    ]

    def __init__(self, card: Card, deck_path: str | None, preview: dict[Rating, timedelta]):
        super().__init__()
        assert card.exercise is not None
        self.card = card
        self.exercise = card.exercise
        self.deck_path = deck_path
        self.preview = preview
        self.attempts = ex.Attempts()
        self.running = False
        self.trusted = False
        """The learner may run this deck's tests (asked at most once per showing)."""
        self.last_code: str | None = None

    # ----------------------------------------------------------------- showing

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="task"):
            yield Static(RichMarkdown(self.card.front), id="task-text", markup=False)
        with Horizontal(id="code-row"):
            yield code_area(self.exercise.starter, id="code")
            with Vertical(id="solution-box"):
                yield Static("Solution", id="solution-title", markup=False)
                yield code_area(
                    self.exercise.solution or "# (this card gives no solution)", id="solution", read_only=True
                )
        with VerticalScroll(id="verdict"):
            yield Static("", id="verdict-text", markup=False)
        yield Static("", id="answer-bar", markup=False)
        yield KeyBar(id="keys")

    @reports_store_errors
    def on_mount(self) -> None:
        self.title = "Exercise"
        ex.prestart()  # a grading worker waits with NumPy imported from now on: the first run is quick too
        kept = self.app.workspace.store.exercise_code(self.card.key)
        self.last_code = kept if kept is not None and kept != self.exercise.starter else None
        hint = "Write the code; Ctrl+J runs the tests."
        if self.last_code is not None:
            hint += " Your last code for this card is kept: Ctrl+L loads it."
        self.query_one("#verdict-text", Static).update(Text(hint, style="dim"))
        area = self.query_one("#code", TextArea)
        area.move_cursor(_first_body_line(self.exercise.starter))
        area.focus()
        self.set_bar()

    @property
    def code(self) -> str:
        return self.query_one("#code", TextArea).text

    @property
    def rateable(self) -> bool:
        """The rating is offered once the tests passed or the solution shows."""
        return self.revealed or any(v.passed for v in self.attempts.verdicts)

    @property
    def revealed(self) -> bool:
        return self.has_class("revealed")

    def editing(self) -> bool:
        return self.focused is not None and self.focused.id == "code"

    def suggestion(self) -> Rating:
        return Rating(self.attempts.suggested_rating())

    def keys(self) -> list[Key]:
        """The keys that work now, for the key bar."""
        keys = [] if self.running else [Key("^j", "Run tests", "screen.run")]
        if not self.revealed:
            keys.append(Key("^o", "Solution", "screen.reveal"))
        if self.editing():
            if self.last_code is not None and self.code != self.last_code:
                keys.append(Key("^l", "Last code", "screen.last_code"))
            return [*keys, Key("Esc", "To rating" if self.rateable else "Back", "screen.back")]
        if self.rateable:
            keys = [Key("Enter", f"Accept {self.suggestion().label}", "screen.accept"), Key("1-4", "Rate", ""), *keys]
        return [*keys, Key("Tab", "Edit", "screen.edit"), Key("Esc", "Back", "screen.back")]

    def set_bar(self) -> None:
        """The answer bar (the ratings with their intervals, the suggestion marked) and the key bar."""
        bar = Text(justify="center")
        if self.running:
            bar.append("running the tests…", style="dim")
        elif self.rateable:
            suggested = self.suggestion()
            for r in Rating:
                label = f" {r.key} {r.label} {format_interval(self.preview[r])} "
                style = "reverse bold" if r is suggested else "reverse"
                bar.append_text(Text.from_markup(f"[@click=screen.rate({int(r)})][{style}]{label}[/][/]"))
                bar.append("  ")
        else:
            bar.append("Ctrl+J runs the tests · Ctrl+O shows the solution", style="dim")
        self.query_one("#answer-bar", Static).update(bar)
        self.query_one("#keys", KeyBar).show(self.keys(), typing=self.editing())

    def on_descendant_focus(self) -> None:
        self.set_bar()

    @on(TextArea.Changed, "#code")
    def code_changed(self) -> None:
        if self.last_code is not None:
            self.set_bar()  # ^l shows while the code is not the kept code (the bar redraws only on a change)

    def show_verdict(self, verdict: ex.Verdict) -> None:
        """Each test's pass or fail with its message (and the array diff it carries), then the summary."""
        *tests, summary = ex.verdict_lines(verdict)
        text = Text()
        for line in tests:
            text.append(
                line + "\n", style="green" if line.startswith("  pass") else "red" if line.startswith("  FAIL") else ""
            )
        text.append(summary, style="bold green" if verdict.passed else "bold red")
        self.query_one("#verdict-text", Static).update(text)
        self.query_one("#verdict", VerticalScroll).scroll_home(animate=False)

    def say(self, message: str, style: str = "") -> None:
        self.query_one("#verdict-text", Static).update(Text(message, style=style))

    # ----------------------------------------------------------------- running the tests

    def action_run(self) -> None:
        """Ctrl+J: the tests against the code as it is now (after the trust question, the first time)."""
        if self.running:
            return
        if not self.trusted:
            gate = trust.gate_tests(self.app.workspace.store, self.deck_path, self.exercise.tests)
            shown = self.app.shown_path(self.deck_path) if self.deck_path else ""
            if gate.problem == "gone":
                self.say("This card's deck is gone: its tests do not run.", "red")
                return
            if gate.problem == "unreadable":
                self.say(f"{shown}: cannot read: {gate.reason}; the tests do not run.", "red")
                return
            if gate.problem == "changed":
                self.say(f"{shown} changed since the decks were read: go back and reload them (r).", "red")
                return
            if not gate.trusted:
                self.running = True  # no second question while this one is asked
                self.set_bar()
                self.ask_trust(gate.code)
                return
            self.trusted = True
        self.start_run()

    @work(thread=True, group="exercise-trust")
    def ask_trust(self, code: trust.Code) -> None:
        """The question names whether the network is cut off: a probe in a child process, so off the UI."""
        question = trust.question(code).replace(str(code.path), self.app.shown_path(code.path))  # a browser tab
        _to_ui(self, self.push_trust_question, code, question)

    def push_trust_question(self, code: trust.Code, question: str) -> None:
        if not self.is_attached:
            return

        @reports_store_errors
        def answered(yes: bool | None) -> None:
            self.running = False
            if yes:
                trust.allow(self.app.workspace.store, code, self.app.clock())
                self.trusted = True
                self.start_run()
            else:
                self.say("Not run: you said no. Ctrl+O still shows the solution, and you can rate the card.")
                self.set_bar()

        self.app.push_screen(ConfirmScreen(question, "Run the tests", "Do not run", wide=True), answered)

    def start_run(self) -> None:
        self.running = True
        self.say("running the tests…", "dim")
        self.set_bar()
        self.grade(self.code)

    @work(thread=True, exclusive=True, group="exercise-grade")
    def grade(self, code: str) -> None:
        """In a thread: ``grade`` waits for the child process; the verdict comes back to the UI thread."""
        try:
            verdict = ex.grade(self.exercise, code)
        except OSError as err:  # the child could not start (no processes left, no temp folder)
            verdict = ex.Verdict((), error=f"the tests could not start: {err.strerror or err}")
        _to_ui(self, self.graded, verdict)

    def graded(self, verdict: ex.Verdict) -> None:
        if not self.is_attached:
            return  # left while it ran: nothing to show, nothing to rate
        self.running = False
        self.attempts.verdicts.append(verdict)
        self.show_verdict(verdict)
        if verdict.passed:
            self.query_one("#verdict", VerticalScroll).focus()  # Enter now accepts the suggested rating
        self.set_bar()

    # ----------------------------------------------------------------- revealing, rating, leaving

    def action_reveal(self) -> None:
        """Ctrl+O: the solution beside the learner's code; revealed before passing suggests Again."""
        if self.revealed:
            return
        self.attempts.revealed_before_passing = not any(v.passed for v in self.attempts.verdicts)
        self.add_class("revealed")
        self.query_one("#verdict", VerticalScroll).focus()
        self.set_bar()

    def action_last_code(self) -> None:
        """Ctrl+L: the code the learner last left on this card (the next showing starts from the starter)."""
        if self.last_code is not None:
            self.query_one("#code", TextArea).text = self.last_code
            self.set_bar()

    def action_edit(self) -> None:
        self.query_one("#code", TextArea).focus()

    def action_accept(self) -> None:
        self.action_rate(int(self.suggestion()))

    def action_rate(self, rating: int) -> None:
        if self.rateable:  # keys 1-4 and Enter never get here from the code, which types them; a click does
            self.leave(Rating(rating))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "rate"):
            return self.rateable
        if action == "edit":
            return not self.editing()
        return True

    @after_queued_keys
    def action_back(self) -> None:
        """Esc: from the code to the rating once there is one; else leave, asking when there is typed code."""
        if self.editing() and self.rateable:
            self.query_one("#verdict", VerticalScroll).focus()
            return
        if self.code in (self.exercise.starter, self.last_code):
            self.leave(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.leave(None)

        question = "Leave this exercise unanswered? Your code is kept: Ctrl+L loads it next time."
        self.app.push_screen(ConfirmScreen(question, "Leave", "Keep writing"), answered)

    @reports_store_errors
    def leave(self, rating: Rating | None) -> None:
        """Keep the learner's code (when it is theirs, not the starter), then hand the rating back."""
        code = self.code
        if code != self.exercise.starter:
            self.app.workspace.store.save_exercise_code(self.card.key, code, self.app.clock())
        self.dismiss(rating)


def _to_ui(screen: Screen, callback, *args) -> None:
    """Hand a worker's result to the UI thread, unless the app has closed meanwhile (then it is moot)."""
    with contextlib.suppress(RuntimeError):
        screen.app.call_from_thread(callback, *args)


def _first_body_line(starter: str) -> tuple[int, int]:
    """Where the cursor starts: the end of the starter's last line (below the signature and docstring)."""
    lines = starter.rstrip("\n").split("\n")
    return len(lines) - 1, len(lines[-1])
