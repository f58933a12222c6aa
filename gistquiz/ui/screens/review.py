"""Review: the front, Space reveals the back, 1-4 rate; undo, suspend, bury, edit, and the card's demo.

Every answer is committed by the session before the next card is shown.

The keys follow the card's state, and the key bar shows exactly the ones that work in it:

- the front of a basic, reversed or cloze card: Space/Enter reveal (a cloze is typed only with the
  ``type_cloze_answers`` setting, as in Anki);
- a multiple-choice front: the option letters pick (one right option: the letter answers at once;
  several: letters toggle and Enter checks), so there ``b`` and ``e`` are letters when the card has
  that many options, and Bury and Edit wait for the back;
- a typed front: the answer box has the focus and takes every printable key, so the bar shows only
  Enter (check), Tab (to the card's keys, and back) and Esc; Ctrl+Z in the box undoes typing, never
  the previous card's rating;
- the back: 1-4 rate (the answer bar shows each interval), r and p run the card's demo.

Esc goes back one level: it cancels a running demo, else leaves the review. It never reveals.
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Group
from rich.markdown import Markdown as RichMarkdown
from rich.rule import Rule
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widgets import Header, Input, Static

from gistquiz import grading, quiz
from gistquiz.card_text import LETTERS, back_text, front_text, right_options
from gistquiz.deck import Card, Kind
from gistquiz.errors import AnsweredElsewhere
from gistquiz.scheduler import CardState, Rating, format_interval
from gistquiz.session import Session, leech_notice
from gistquiz.status import status
from gistquiz.ui.screens.home import reports_store_errors
from gistquiz.ui.widgets.answer_box import AnswerBox
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.ui.widgets.diff import diff_text
from gistquiz.ui.widgets.key_bar import Key, KeyBar

SHOW_ANSWER = Key("Space", "Show answer", "screen.reveal")
WRITE_CODE = Key("Space", "Write code", "screen.reveal")
ACTIONS = [("u", "Undo", "undo"), ("s", "Suspend", "suspend"), ("b", "Bury", "bury"), ("e", "Edit", "edit")]
"""The actions on a card, in the bar's order; on a choice front, those whose key is an option's letter wait."""
GIVES_WAY = {"p": 4, "e": 3, "b": 2, "s": 1}
"""Keys the bar may leave out, highest first, to name the scroll key of a tall card (they still work)."""

MIN_SIZE = (40, 12)
"""The smallest terminal (columns, rows) in which a card, its answer box and the rating bar all show."""


def _button(action: str) -> Style:
    """A reversed label that runs ``action`` when clicked (what ``[@click=ACTION][reverse]`` markup gives)."""
    return Style(reverse=True) + Style.from_meta({"@click": action})


_DIM = Style(dim=True)
_RATE = {r: _button(f"screen.rate({int(r)})") for r in Rating}
"""The answer bar's rating buttons, built once."""


class ReviewScreen(Screen[None]):
    DEFAULT_CSS = """
    #card {
        padding: 0 1;
    }
    #front, #back {
        margin: 0;
    }
    #typed {
        margin: 0 0 1 0;
    }
    #grade {
        margin: 0 1;
    }
    #progress {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    #answer-bar {
        height: 1;
        margin-bottom: 1;
        text-align: center;
    }
    #too-small {
        display: none;
        height: 1fr;
        content-align: center middle;
        text-align: center;
    }
    ReviewScreen.too-small > Header, ReviewScreen.too-small > #card, ReviewScreen.too-small > #progress,
    ReviewScreen.too-small > #answer-bar, ReviewScreen.too-small > #keys {
        display: none;  /* not every child: notifications still show */
    }
    ReviewScreen.too-small > #too-small {
        display: block;
    }
    """

    BINDINGS = [
        Binding("space", "reveal", "Show the answer", show=False),
        Binding("enter", "check", "Show the answer (check a typed answer or the options picked)", show=False),
        *[Binding(r.key, f"rate({int(r)})", f"Rate {r.label} (once the answer shows)", show=False) for r in Rating],
        Binding("u", "undo", "Undo the last answer", show=False),
        Binding("ctrl+z", "undo", "Undo the last answer (in the answer box: undo typing)", show=False),
        Binding("s", "suspend", "Suspend the card", show=False),
        Binding("b", "bury", "Bury the card until tomorrow", show=False),
        Binding("e", "edit", "Edit the card in the app", show=False),
        Binding("E", "edit_external", "Edit the deck file in $EDITOR (a terminal only)", show=False),
        Binding("r", "run_demo", "Run the card's demo", show=False),
        Binding("p", "demo_params", "The demo's parameters", show=False),
        Binding("tab", "switch_focus", "Between the answer box and the card's keys", show=False),
        Binding("escape", "back", "Cancel a running demo, else go back", show=False),
    ]
    """Every key of the screen (their descriptions are for ``?``); which of them the bar shows, and which act,
    follows the state (:meth:`keys`)."""
    KEYS_HELP = [
        ("a-h", "Pick an option of a multiple-choice card (several right: toggle, then Enter)"),
        ("PgDn PgUp", "Scroll a card taller than the screen (the bar shows PgDn More then)"),
        ("↓ ↑ Home End", "The same, line by line and to either end (not in the answer box)"),
    ]

    def __init__(self, title: str, cards: list[Card], cram: bool = False):
        super().__init__()
        self.deck_title = title
        self.cards = cards
        self.cram = cram
        """Review these cards now whether due or not (a card opened from search)."""
        self.revealed = False
        self.card: Card | None = None
        self.shown_state: CardState | None = None
        """The card's state when shown: its answer counts only if the card is still in it (one per showing)."""
        self.order: list[int] = []
        self.picked: set[int] = set()
        """The options picked so far on a multiple-choice front, as positions shown (a) is 0)."""
        self.answered = 0
        self.sources: dict[str, str] = {}
        """The Markdown shown in #front and #back."""

    def compose(self) -> ComposeResult:
        # Every keypress only changes the content of a few Statics (no mounting, no showing and hiding of
        # widgets): that keeps a keypress far under 50 ms even with a 10,000-card deck.
        yield Header()
        with VerticalScroll(id="card"):
            yield Static("", id="front", markup=False)
            yield AnswerBox(placeholder="type your answer, Enter to check (empty: just show it)", id="typed")
            yield Static("", id="grade", markup=False)
            yield Static("", id="back", markup=False)
            yield DemoPanel(id="demo")
        yield Static("", id="progress", markup=False)
        yield Static("", id="answer-bar", markup=False)
        yield KeyBar(id="keys")
        yield Static(
            f"Make the terminal at least {MIN_SIZE[0]}×{MIN_SIZE[1]} to see the card.\n"
            "The keys still work: Space, 1-4, Esc.",
            id="too-small",
            markup=False,
        )

    def on_resize(self, event: events.Resize) -> None:
        # Below the smallest size the card would be cut off with no hint: say so in its place instead.
        small = event.size.width < MIN_SIZE[0] or event.size.height < MIN_SIZE[1]
        self.set_class(small, "too-small")

    def on_mount(self) -> None:
        self.title = self.deck_title
        self.sub_title = ""
        self.started = self.shown_at = self.app.clock()
        self.query_one("#demo", DemoPanel).display = False
        ws = self.app.workspace
        self.session = Session(self.cards, ws.store, ws.scheduler, clock=self.app.clock)
        if self.cram:
            self.session.cram()
        self.show_next()
        self.query_one("#keys", KeyBar).follow(self.query_one("#card", VerticalScroll))  # PgDn More on a tall card
        self.set_interval(1, self.update_progress)

    # ----------------------------------------------------------------- showing

    def show_markdown(self, widget_id: str, text: str, rule: bool = False) -> None:
        """Render Markdown (code, emphasis, lists, tables) into one of the card's Statics."""
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        self.sources[widget_id] = text
        content: Any = RichMarkdown(text, code_theme=theme) if text else ""
        if rule and text:
            content = Group(Rule(style=self.app.current_theme.primary or "blue"), content)
        self.query_one(f"#{widget_id}", Static).update(content)

    def show_next(self) -> None:
        card = self.session.current or self.session.next()
        self.card = card
        self.revealed = False
        self.picked = set()
        self.query_one("#grade", Static).update("")
        self.show_markdown("back", "")
        demo = self.query_one("#demo", DemoPanel)
        if demo.display:
            demo.display = False
        typed = self.query_one("#typed", AnswerBox)
        card_view = self.query_one("#card", VerticalScroll)
        if card is None:
            nxt = self.session.next_due()
            later = f" The next learning card is due at {nxt.astimezone():%H:%M}." if nxt else ""
            self.show_markdown(
                "front",
                f"## All done for now\n\nYou answered {self.answered} card(s) in {self.deck_title}.{later}"
                "\n\nPress **Escape** to go back.",
            )
            typed.display = False
            card_view.focus()
            self.set_bar()
            self.update_progress()
            if nxt is not None:
                delay = max(1.0, (nxt - self.app.clock()).total_seconds())
                self.set_timer(delay, self.refresh_queue)
            return
        self.shown_state = self.session.state(card)
        self.order = quiz.option_order(card, self.shown_state.reps)
        self.show_front()
        wants_typing = self.asks_typing(card)
        if typed.display != wants_typing:
            typed.display = wants_typing
        typed.clear_answer()
        if wants_typing:
            typed.focus()
        elif self.focused is not card_view:
            card_view.focus()  # arrows and Page Up/Down scroll a long answer or a demo's result
        card_view.scroll_home(animate=False)
        self.set_bar()
        self.update_progress()
        self.shown_at = self.app.clock()

    def asks_typing(self, card: Card) -> bool:
        """Typed cards ask for the answer; clozes only with ``type_cloze_answers`` (Anki reveals them)."""
        return card.kind is Kind.TYPED or (card.kind is Kind.CLOZE and self.app.workspace.settings.type_cloze_answers)

    def show_front(self) -> None:
        if self.card is not None:
            self.show_markdown("front", front_text(self.card, self.order, self.picked))

    def refresh_queue(self) -> None:
        if self.card is None:
            self.session.refresh()
            self.show_next()

    def typing(self) -> bool:
        """Whether the answer box has the focus (and so takes every printable key)."""
        return self.focused is not None and self.focused.id == "typed"

    def options_to_pick(self) -> str:
        """The letters that pick an option now (a multiple-choice front), else ``""``."""
        card = self.card
        if card is None or self.revealed or card.kind is not Kind.CHOICE:
            return ""
        return LETTERS[: len(card.options)]

    def several_right(self) -> bool:
        return self.card is not None and right_options(self.card) > 1

    def keys(self) -> list[Key]:
        """The keys that work in the current state, for the key bar (the app's ``?`` and ``^q`` follow)."""
        back = Key("Esc", "Back", "screen.back")
        if self.card is None:
            return [Key("u", "Undo", "screen.undo"), back]
        if self.typing():
            check = Key("Enter", "Check", "screen.check_typed_now")
            return [check, Key("Tab", "Other keys", "screen.switch_focus"), back]
        letters = self.options_to_pick()
        actions = [Key(k, label, f"screen.{a}", GIVES_WAY.get(k, 0)) for k, label, a in ACTIONS if k not in letters]
        keys: list[Key] = []
        if letters:
            keys.append(Key(f"{letters[0]}-{letters[-1]}", "Pick", ""))
            # "Show", not "Show answer": the answer bar above says it, and the bar keeps one row at 80 columns
            keys.append(
                Key("Enter", "Check", "screen.reveal")
                if self.several_right()
                else Key("Space", "Show", "screen.reveal")
            )
        elif not self.revealed:
            # a typed card with the focus on the card: back to the box (Space still reveals, as the
            # answer bar says; one row at 80 columns has no room for both)
            typed = self.query_one("#typed", AnswerBox).display
            keys.append(Key("Tab", "Type answer", "screen.switch_focus") if typed else self.show_key())
        keys += actions
        if self.query_one("#demo", DemoPanel).running:
            return [*keys, Key("Esc", "Cancel demo", "screen.back")]
        if self.revealed and self.card.demo:
            keys += [Key("r", "Run", "screen.run_demo"), Key("p", "Params", "screen.demo_params", GIVES_WAY["p"])]
        return [*keys, back]

    def show_key(self) -> Key:
        """Space on the front: show the answer, or on an exercise card, write the code (its own screen)."""
        return WRITE_CODE if self.card is not None and self.card.kind is Kind.EXERCISE else SHOW_ANSWER

    def set_bar(self) -> None:
        """The answer bar ("Show answer" before the reveal, the four ratings with their intervals after)
        and the key bar, both for the current state.

        Each entry of the answer bar is clickable, so the mouse works too.
        """
        # Textual's own Content, built from parts (centred by the bar's CSS): a Rich Text was converted to it at
        # every update, and a markup string parsed (the review benchmark's key repaints the bar twice).
        parts: list[str | tuple[str, Style]] = []
        if self.card is None:
            parts.append(("Escape: back to the decks", _DIM))
        elif not self.revealed:
            if self.typing():
                parts += [(" Check ", _button("screen.check_typed_now")), "  Enter"]
            else:
                if letters := self.options_to_pick():
                    many = "toggle, Enter checks" if self.several_right() else "answers"
                    parts.append((f"a letter {letters[0]}-{letters[-1]} {many} · ", _DIM))
                parts += [(f" {self.show_key().label} ", _button("screen.reveal")), "  Space"]
        else:
            preview = self.session.preview(self.card)
            for r in Rating:
                parts += [(f" {r.key} {r.label} {format_interval(preview[r])} ", _RATE[r]), "  "]
        self.query_one("#answer-bar", Static).update(Content.assemble(*parts), layout=False)  # one row (its CSS)
        self.query_one("#keys", KeyBar).show(self.keys(), typing=self.typing())

    def on_descendant_focus(self) -> None:
        self.set_bar()  # the focus moved into or out of the answer box (Tab, a click, a new card)

    def card_state(self) -> str:
        """The shown card's state for the header: always for a card opened by itself (from Browse, a leech),
        else only when it is suspended, buried or a leech (after an undo)."""
        if self.card is None:
            return ""
        now = self.app.clock()
        st = status(self.session.state(self.card), now, self.app.workspace.scheduler.next_day_start(now))
        if not (self.cram or st.suspended or st.buried or st.leech):
            return ""
        due = f", due {st.due.astimezone():%Y-%m-%d %H:%M}" if st.due else ""
        return f"this card: {st.label}{due}"

    def update_progress(self) -> None:
        c = self.session.counts()
        minutes, seconds = divmod(int((self.app.clock() - self.started).total_seconds()), 60)
        mode = " · cram" if self.cram else ""
        self.sub_title = self.card_state()
        self.query_one("#progress", Static).update(
            f"{c.total} left · {c.new} new · {c.learning} learning · {c.review} review · "
            f"{self.answered} answered · {minutes}:{seconds:02d}{mode}",
            layout=False,  # one row (its CSS): the clock's tick each second lays nothing out again
        )

    # ----------------------------------------------------------------- answering

    def action_reveal(self) -> None:
        """Space or Enter: show the back; on a multiple-choice front, grade the options picked first."""
        if self.card is None or self.revealed:
            return
        if self.card.kind is Kind.EXERCISE and self.card.exercise is not None:
            self.open_exercise()
            return
        self.revealed = True
        card = self.card
        if card.kind is Kind.CHOICE and self.picked:
            grade = grading.grade(card, {self.order[n] for n in self.picked})  # shown letters -> the card's options
            self.query_one("#grade", Static).update(diff_text(grade))
        typed = self.query_one("#typed", AnswerBox)
        card_view = self.query_one("#card", VerticalScroll)
        if self.focused is not card_view:
            card_view.focus()
        if typed.display:
            typed.display = False
        self.show_markdown("back", back_text(card, self.order), rule=True)
        if card.demo:
            panel = self.query_one("#demo", DemoPanel)
            ws = self.app.workspace
            panel.show_card(card, ws.demo_folders, ws.demo_cache)
            panel.display = True
        self.set_bar()

    def open_exercise(self) -> None:
        """An exercise card is answered on a screen of its own; its rating comes back to :meth:`action_rate`."""
        from gistquiz.ui.screens.exercise import ExerciseScreen

        card = self.card
        deck = self.app.workspace.library.deck(card.deck)
        screen = ExerciseScreen(card, deck.path if deck else None, self.session.preview(card))

        def done(rating: Rating | None) -> None:
            if rating is not None and self.card is card:
                self.revealed = True
                self.action_rate(int(rating))

        self.app.push_screen(screen, done)

    def action_check(self) -> None:
        self.action_reveal()  # Enter on the card (not in the answer box, which takes its own Enter)

    def action_check_typed_now(self) -> None:
        """A click on "Check": the same as Enter in the answer box."""
        typed = self.query_one("#typed", AnswerBox)
        self.check_typed(Input.Submitted(typed, typed.value))

    @on(Input.Submitted, "#typed")
    def check_typed(self, event: Input.Submitted) -> None:
        card = self.card
        if card is None or self.revealed:
            return
        given = event.value.strip()
        if given:
            grade = grading.grade(card, given)
            self.query_one("#grade", Static).update(diff_text(grade))
        self.action_reveal()

    def on_key(self, event) -> None:
        # On a multiple-choice front a letter picks an option, as in the quiz; it comes before the
        # screen's letter keys (b Bury, e Edit), which the key bar leaves out while they are letters.
        letters = self.options_to_pick()
        if letters and event.character and event.character in letters and not self.typing():
            event.stop()
            event.prevent_default()
            self.pick(letters.index(event.character))

    def pick(self, n: int) -> None:
        """One right option: the letter is the answer. Several: letters toggle, and Enter checks."""
        if self.several_right():
            self.picked ^= {n}
            self.show_front()
        else:
            self.picked = {n}
            self.show_front()  # the pick stays marked beside the verdict
            self.action_reveal()

    def action_switch_focus(self) -> None:
        """Tab: between the answer box and the card (whose keys then work), else the next widget."""
        typed = self.query_one("#typed", AnswerBox)
        if not typed.display:
            self.focus_next()
        elif self.focused is typed:
            self.query_one("#card", VerticalScroll).focus()
        else:
            typed.focus()
        self.set_bar()

    @reports_store_errors
    def action_rate(self, rating: int) -> None:
        if self.card is None or not self.revealed:
            return
        duration = int((self.app.clock() - self.shown_at).total_seconds() * 1000)
        try:  # on disk when it returns
            entry = self.session.answer(self.card, Rating(rating), duration_ms=duration, shown=self.shown_state)
        except AnsweredElsewhere:
            self.notify("This card was answered elsewhere (another tab?) meanwhile; moving on.", severity="warning")
            self.query_one("#demo", DemoPanel).stop()
            self.show_next()
            return
        self.answered += 1
        if notice := leech_notice(entry):
            self.notify(notice)
        self.query_one("#demo", DemoPanel).stop()
        self.show_next()

    @reports_store_errors
    def action_undo(self) -> None:
        """Take back the newest action of this review (an answer, suspend, bury, unsuspend or unbury)."""
        undone = self.session.undo()
        if undone is None:
            self.notify("Nothing to undo.")
            return
        self.answered -= undone.entry.action == "answer"
        self.query_one("#demo", DemoPanel).stop()
        self.notify(undone.message)
        self.show_next()

    @reports_store_errors
    def action_suspend(self) -> None:
        """``s`` suspends the card shown, or unsuspends it if it is suspended (opened from Browse)."""
        card = self.card
        if card is None:
            return
        if self.session.state(card).suspended:
            self.session.unsuspend(card)
            self.notify("Unsuspended.")
            self.update_progress()
            return
        self.session.suspend(card)
        self.notify("Suspended. Browse (/) finds it again (is:suspended), and s there unsuspends it.")
        self.query_one("#demo", DemoPanel).stop()
        self.show_next()

    @reports_store_errors
    def action_bury(self) -> None:
        """``b`` buries the card shown until tomorrow, or unburies it if it is buried."""
        card = self.card
        if card is None:
            return
        now = self.app.clock()
        if status(self.session.state(card), now, self.app.workspace.scheduler.next_day_start(now)).buried:
            self.session.unbury(card)
            self.notify("Unburied.")
            self.update_progress()
            return
        self.session.bury(card)
        self.notify("Buried until tomorrow.")
        self.query_one("#demo", DemoPanel).stop()
        self.show_next()

    def action_edit(self) -> None:
        """``e``: the card's section in the in-app editor, then reload and show the same card again."""
        card = self.editable_card()
        if card is not None:
            self.app.edit_card(card, self.after_edit)

    def action_edit_external(self) -> None:
        """``E``: the deck file at the card's line in $VISUAL/$EDITOR (a terminal only), then reload."""
        card = self.editable_card()
        if card is not None and self.app.edit_file(self.app.workspace.library.deck(card.deck).path, card.line):
            self.after_edit(True)  # else the editor did not start (the app said why): stay on this card

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A browser tab has no terminal to hand to $EDITOR: the key is hidden and does nothing there.
        return not (action == "edit_external" and self.app.is_web)

    def editable_card(self) -> Card | None:
        """The card shown, as it stands in a deck file the user may write, its demo stopped.

        A bundled deck is never written: its first edit copies it into the user's decks folder, where it
        takes the bundled deck's place with the same card keys (the copy's first line records where it came
        from, so the card's line is looked up again by key).
        """
        card = self.card
        if card is None:
            return None
        ws = self.app.workspace
        deck = ws.library.deck(card.deck)
        if deck is not None and deck.source == "bundled":
            from gistquiz import trust
            from gistquiz.library import copy_bundled
            from gistquiz.locations import user_decks_dir

            fresh = not (user_decks_dir(ws.home) / os.path.basename(deck.path)).exists()
            copy = copy_bundled(deck, ws.home)
            if fresh:  # gistquiz wrote it from the bundled deck: its tests run without asking, as they did
                trust.mark_written(ws.store, copy, "deck", self.app.clock())
            ws.reload()
            deck = ws.library.deck(card.deck)
            self.notify(f"Your edits go to a copy of the bundled deck, used in its place: {copy}", timeout=8)
        if deck is None or not os.access(deck.path, os.W_OK):
            self.notify("This deck file is read-only; copy it to your decks folder to edit it.", severity="warning")
            return None
        self.query_one("#demo", DemoPanel).stop()
        return next((c for c in deck.cards if c.key == card.key), card)

    def after_edit(self, written: bool) -> None:
        """Read the decks again after an edit and show the same card (by key, or the key its history was
        re-linked to), or the next due one if it is gone."""
        card = self.card
        if not written or card is None:
            return
        ws = self.app.workspace
        ws.reload()
        relinks = ws.sync(self.app.clock())
        for r in relinks:
            self.notify(str(r).split(": ", 1)[-1])
        fresh = ws.library.deck(card.deck)
        if fresh is None:
            self.notify("The deck could not be read after the edit.", severity="error")
            return
        if fresh.errors:
            self.notify(str(fresh.errors[0]), severity="warning", timeout=8)
        key = next((r.new_key for r in relinks if r.old_key == card.key), card.key)
        same = next((c for c in fresh.cards if c.key == key), None)
        if self.cram:
            self.cards = [same] if same else []
        else:
            decks = {c.deck for c in self.cards}
            self.cards = [c for d in ws.library.decks if d.key in decks for c in d.cards]
        self.session.set_cards(self.cards)  # the undo history stays
        if self.cram:
            self.session.cram()
        if same is not None:
            self.session.current = same
        self.show_next()

    def action_run_demo(self) -> None:
        if self.revealed and self.card is not None and self.card.demo:
            self.query_one("#demo", DemoPanel).run()
            self.set_bar()  # while it runs, Esc cancels it and r and p wait

    @on(DemoPanel.Finished)
    def demo_finished(self) -> None:
        self.set_bar()

    def action_demo_params(self) -> None:
        if self.revealed and self.card is not None and self.card.demo:
            self.query_one("#demo", DemoPanel).edit_params()

    @on(DemoPanel.ParamsWanted)
    def open_params(self, wanted: DemoPanel.ParamsWanted) -> None:
        from gistquiz.ui.screens.params import ParamsScreen

        form = ParamsScreen(wanted.demo, wanted.spec, wanted.params, wanted.seed, wanted.folder)
        self.app.push_screen(form, wanted.panel.use_params)

    def action_back(self) -> None:
        panel = self.query_one("#demo", DemoPanel)
        if panel.running:
            panel.cancel()
            return
        panel.stop()
        self.app.pop_screen()
