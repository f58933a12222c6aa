"""Quiz: multiple choice, typed answers and cloze fill-ins over a deck or a tag, timed or not.

Grading is :func:`gistquiz.grading.grade`'s, and recording an answer is
:meth:`gistquiz.session.Session.answer_quiz`'s (quiz answers leave the schedule
alone unless the ``quiz_updates_schedule`` setting is on); this screen asks and shows.
"""

from __future__ import annotations

import time

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Header, Input, Label, Markdown, OptionList, Select, Static

from gistquiz import grading, quiz
from gistquiz.card_text import LETTERS
from gistquiz.deck import Card
from gistquiz.grading import Grade
from gistquiz.quiz import Question, QuestionKind
from gistquiz.session import Session, leech_notice
from gistquiz.ui.in_order import after_queued_keys
from gistquiz.ui.screens.home import reports_store_errors
from gistquiz.ui.widgets.diff import diff_text
from gistquiz.ui.widgets.inline_markdown import inline_markdown
from gistquiz.ui.widgets.key_bar import Key, KeyBar, binding_keys


class QuizSetupScreen(ModalScreen[None]):
    """Pick the cards (all, or one tag), how many questions, and a time limit."""

    DEFAULT_CSS = """
    QuizSetupScreen {
        align: center middle;
    }
    #quiz-setup-error {
        color: $error;
        height: auto;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, cards: list[Card]):
        super().__init__()
        self.deck_title = title
        self.cards = cards

    def compose(self) -> ComposeResult:
        tags = sorted({t for c in self.cards for t in c.tags})
        with Vertical(id="quiz-setup", classes="dialog"):
            yield Label(f"Quiz: {self.deck_title}", id="quiz-setup-title")
            yield Label("Cards")
            yield Select([(f"tag: {t}", t) for t in tags], prompt="all cards", id="quiz-tag", allow_blank=True)
            yield Label("Questions (at most)")
            yield Input(value="10", id="quiz-count", type="integer")
            yield Label("Time limit in minutes (0: untimed)")
            yield Input(value="0", id="quiz-minutes", type="integer")
            yield Static("", id="quiz-setup-error", markup=False)
            with Horizontal(id="quiz-setup-buttons", classes="dialog-buttons"):
                yield Button("Start", id="start", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def start(self) -> None:
        error = self.query_one("#quiz-setup-error", Static)
        try:
            count = int(self.query_one("#quiz-count", Input).value)
            minutes = int(self.query_one("#quiz-minutes", Input).value or 0)
        except ValueError:
            error.update("! questions and minutes are whole numbers")
            return
        if not 1 <= count <= 500 or not 0 <= minutes <= 240:
            error.update("! questions: 1 to 500; minutes: 0 to 240")
            return
        tag = self.query_one("#quiz-tag", Select).value
        cards = [c for c in self.cards if not isinstance(tag, str) or tag in c.tags]
        title = self.deck_title + (f" · {tag}" if isinstance(tag, str) else "")
        self.app.switch_screen(QuizScreen(title, cards, count, minutes * 60))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class QuizScreen(Screen[None]):
    """One question at a time; the verdict sits under the question, which scrolls, so it is always seen."""

    DEFAULT_CSS = """
    #quiz {
        height: 1fr;
        padding: 0 1;
    }
    #quiz-progress, #quiz-next {
        color: $text-muted;
    }
    #quiz-options {
        height: auto;
    }
    #quiz-explain {
        margin-top: 1;
    }
    #quiz-verdict {
        height: auto;
        max-height: 8;
        padding: 0 1;
    }
    #quiz-next {
        height: 1;
        padding: 0 1;
    }
    """

    BINDINGS = [
        # Enter checks or moves on, whatever has the focus (the answer box, the options): one meaning
        Binding("enter", "enter", "Check", show=False, priority=True),
        Binding("escape", "finish", "End the quiz (the score of what was answered)", show=False),
    ] + [Binding(ch, f"pick({i})", show=False) for i, ch in enumerate(LETTERS[:8])]
    KEYS_HELP = [
        ("a-h", "Pick an option (several right: toggle)"),
        ("Up/Down", "Move among the options"),
        ("Enter", "Check, pick the highlighted option, or go on"),
    ]

    def __init__(self, title: str, cards: list[Card], count: int = 10, seconds: int = 0, seed: int | None = None):
        super().__init__()
        self.quiz_title = title
        self.cards = cards
        self.count = count
        self.seconds = seconds
        self.seed = seed
        self.index = 0
        self.results: list[tuple[Question, Grade]] = []
        self.answered = False
        self.picked: set[int] = set()
        """Options toggled so far on a question with several right ones."""
        self.started = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="quiz"):
            yield Static("", id="quiz-progress", markup=False)
            yield Markdown("", id="quiz-prompt")
            yield OptionList(id="quiz-options")
            yield Input(placeholder="your answer (for several blanks: a / b), Enter to check", id="quiz-input")
            yield Static("", id="quiz-explain", markup=False)
        yield Static("", id="quiz-verdict", markup=False)
        yield Static("", id="quiz-next", markup=False)
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.title = f"Quiz: {self.quiz_title}"
        self.sub_title = ""
        self.questions = quiz.build(self.cards, seed=self.seed, limit=self.count)
        if note := quiz.skipped_note(self.cards):
            self.notify(note)
        if not self.questions:
            self.notify("No cards to quiz on.", severity="warning")
            self.app.pop_screen()
            return
        ws = self.app.workspace
        self.session = Session(self.cards, ws.store, ws.scheduler, clock=self.app.clock)
        if self.seconds:
            self.set_interval(1, self.tick)
        self.show_question()

    def tick(self) -> None:
        if self.time_left() <= 0:
            self.action_finish()
        else:
            self.update_progress()

    def time_left(self) -> float:
        return self.seconds - (time.monotonic() - self.started) if self.seconds else float("inf")

    def update_progress(self) -> None:
        right = sum(g.correct for _, g in self.results)
        timer = ""
        if self.seconds:
            left = max(0, int(self.time_left()))
            timer = f" · {left // 60}:{left % 60:02d} left"
        self.query_one("#quiz-progress", Static).update(
            f"Question {self.index + 1} of {len(self.questions)} · {right} right so far{timer}"
        )

    @property
    def question(self) -> Question:
        return self.questions[self.index]

    def several_right(self) -> bool:
        return self.question.kind is QuestionKind.CHOICE and len(self.question.correct) > 1

    def keys(self) -> list[Key]:
        """The keys that work now, for the key bar."""
        end = Key("Esc", "End quiz", "screen.finish")
        q = self.question
        if self.answered:
            last = self.index + 1 >= len(self.questions)
            return [Key("Enter", "Score" if last else "Next", "screen.enter"), end]
        if q.kind is not QuestionKind.CHOICE:
            return [Key("Enter", "Check", "screen.enter"), end]
        letters = f"{LETTERS[0]}-{LETTERS[len(q.options) - 1]}"
        if self.several_right():
            return [Key(letters, "Toggle", ""), Key("Enter", "Check", "screen.enter"), end]
        return [Key(letters, "Pick", ""), Key("Enter", "Pick the highlighted", "screen.enter"), end]

    def on_descendant_focus(self) -> None:
        self.set_keys()  # into or out of the answer box, where "?" is typed

    def set_keys(self) -> None:
        typing = self.focused is not None and self.focused.id == "quiz-input"
        self.query_one("#keys", KeyBar).show(self.keys(), typing=typing)

    def option_prompt(self, i: int, mark: str = "") -> Text:
        """An option as the list shows it: its Markdown styled, wrapped at word boundaries by the list."""
        q = self.question
        if not mark and self.several_right():
            mark = "[x]" if i in self.picked else "[ ]"
        prompt = Text(f"{mark} " if mark else "")
        prompt.append(f"{LETTERS[i]}) ", style="bold")
        return prompt.append_text(inline_markdown(q.options[i]))

    def show_question(self) -> None:
        q = self.question
        self.answered = False
        self.picked = set()
        self.update_progress()
        self.query_one("#quiz-prompt", Markdown).update(q.prompt)
        options = self.query_one("#quiz-options", OptionList)
        answer = self.query_one("#quiz-input", Input)
        for widget_id in ("#quiz-verdict", "#quiz-next", "#quiz-explain"):
            self.query_one(widget_id, Static).update("")
        options.clear_options()
        if q.kind is QuestionKind.CHOICE:
            options.add_options([self.option_prompt(i) for i in range(len(q.options))])
            options.display, answer.display = True, False
            options.highlighted = 0
            options.focus()
        else:
            options.display, answer.display = False, True
            answer.value = ""
            answer.disabled = False
            answer.focus()
        self.query_one("#quiz", VerticalScroll).scroll_home(animate=False)
        self.set_keys()

    @on(OptionList.OptionSelected, "#quiz-options")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(event.option_index)  # a click on an option

    def action_pick(self, index: int) -> None:
        q = self.question
        if self.answered or q.kind is not QuestionKind.CHOICE or index >= len(q.options):
            return
        if self.several_right():
            self.picked ^= {index}
            self.query_one("#quiz-options", OptionList).replace_option_prompt_at_index(index, self.option_prompt(index))
            return
        self.picked = {index}
        self.record(grading.grade(q.expected, {index}))

    @after_queued_keys
    def action_enter(self) -> None:
        """Enter: check the answer typed or the options toggled, pick the highlighted option, or go on."""
        q = self.question
        if self.answered:
            self.action_next()
        elif q.kind is not QuestionKind.CHOICE:
            self.record(grading.grade(q.expected, self.query_one("#quiz-input", Input).value))
        elif self.several_right():
            self.record(grading.grade(q.expected, self.picked))
        elif (highlighted := self.query_one("#quiz-options", OptionList).highlighted) is not None:
            self.action_pick(highlighted)

    @reports_store_errors
    def record(self, grade: Grade) -> None:
        self.answered = True
        q = self.question
        self.results.append((q, grade))
        entry = self.session.answer_quiz(q.card, grade)  # on disk when it returns, if quiz answers count
        if entry is not None and (notice := leech_notice(entry)):
            self.notify(notice)
        self.query_one("#quiz-verdict", Static).update(verdict(q, grade))
        # the back explains: a choice card's always, a basic card's when the pick was wrong
        choice_card = q.card.kind.value == "choice"
        explain = q.card.back if q.kind is QuestionKind.CHOICE and (choice_card or not grade.correct) else ""
        self.query_one("#quiz-explain", Static).update(RichMarkdown(explain) if explain else "")
        if q.kind is QuestionKind.CHOICE:
            options = self.query_one("#quiz-options", OptionList)
            for i in range(len(q.options)):
                mark = "✓" if i in q.correct else ("✗" if i in self.picked else " ")
                options.replace_option_prompt_at_index(i, self.option_prompt(i, mark))
        last = self.index + 1 >= len(self.questions)
        self.query_one("#quiz-next", Static).update("Enter: the score" if last else "Enter: next question")
        self.query_one("#quiz-input", Input).disabled = True
        self.query_one("#quiz", VerticalScroll).focus()  # arrows and Page Up/Down read a long question
        self.update_progress()
        self.set_keys()

    def action_next(self) -> None:
        if not self.answered:
            return
        if self.index + 1 >= len(self.questions):
            self.action_finish()
            return
        self.index += 1
        self.show_question()

    def action_finish(self) -> None:
        elapsed = time.monotonic() - self.started
        self.app.switch_screen(QuizSummaryScreen(self.quiz_title, self.results, len(self.questions), elapsed))


class QuizSummaryScreen(Screen[None]):
    DEFAULT_CSS = """
    #quiz-summary {
        padding: 0 1;
    }
    .missed {
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("m", "retry", "Quiz the missed ones"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, title: str, results: list[tuple[Question, Grade]], total: int, seconds: float):
        super().__init__()
        self.quiz_title = title
        self.results = results
        self.total = total
        self.seconds = seconds

    @property
    def missed(self) -> list[Card]:
        return [q.card for q, g in self.results if not g.correct]

    def compose(self) -> ComposeResult:
        yield Header()
        right = sum(g.correct for _, g in self.results)
        minutes, seconds = divmod(int(self.seconds), 60)
        unanswered = self.total - len(self.results)
        text = Text()
        text.append(f"Score: {right} / {self.total}", style="bold")
        text.append(f"   time {minutes}:{seconds:02d}")
        if unanswered:
            text.append(f"   ({unanswered} not answered)")
        with VerticalScroll(id="quiz-summary"):
            yield Static(text, id="quiz-score", markup=False)
            if self.missed:
                yield Static(Text("Missed:", style="bold"), markup=False)
                for q, g in self.results:
                    if not g.correct:
                        yield Static(missed_text(q, g), classes="missed", markup=False)
            else:
                yield Static("Nothing missed.", markup=False)
        keys = [k for k in binding_keys(self.BINDINGS) if self.missed or k.key != "m"]
        yield KeyBar(keys, id="keys")

    def on_mount(self) -> None:
        self.title = f"Quiz: {self.quiz_title}"
        self.sub_title = ""

    def action_retry(self) -> None:
        if self.missed:
            self.app.switch_screen(QuizScreen(self.quiz_title + " · missed", self.missed, len(self.missed)))

    def action_back(self) -> None:
        self.app.pop_screen()


def verdict(q: Question, grade: Grade) -> Text:
    """✓ or ✗ and what was expected: for a choice, its letters (the list marks them), not its whole text."""
    if q.kind is not QuestionKind.CHOICE:
        return diff_text(grade)
    if grade.correct:
        return Text("✓ Right", style="bold green")
    right = ", ".join(f"{LETTERS[i]})" for i in sorted(q.correct))
    return Text(f"✗ Not quite: the answer is {right} (marked ✓)", style="bold red")


def missed_text(q: Question, g: Grade) -> RichMarkdown:
    """A missed question and its answer, as Markdown: wrapped at word boundaries, never cut."""
    question = " ".join(q.card.front.split("\n\n", 1)[0].split())
    return RichMarkdown(f"✗ {question}\n\n*answer:* {g.expected}")
