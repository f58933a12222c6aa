"""A line-based review for plain terminals, ssh and screen readers (``gistquiz review --plain``).

It reads one line per step, so it also reads answers from a pipe:
Enter reveals, ``1``-``4`` rate (Again, Hard, Good, Easy), ``u`` undoes the
last action (an answer, a suspend or a bury), ``s`` suspends, ``b`` buries, ``q`` quits (at every prompt: a
``q`` alone is never taken for an answer). Typed cards (and clozes, with the
``type_cloze_answers`` setting) first ask for the answer and grade it; a
multiple-choice card asks for letters, and a letter no option has is flagged
and asked again. An exercise card writes its starter to a file (opened in
``$VISUAL``/``$EDITOR`` if set), Enter runs the tests on that file and prints
each test's verdict, and the suggested rating is one Enter away. Before a
deck's tests first run, a deck gistquiz did not write (or ship) is asked about
(y/N, see :mod:`gistquiz.trust`); input that is not a terminal cannot say yes.
End of input quits; every answer is already on disk by then.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gistquiz import grading, quiz
from gistquiz.card_text import LETTERS, back_text, front_text, plain
from gistquiz.deck import Card, Kind
from gistquiz.scheduler import Rating, format_interval
from gistquiz.session import Session, leech_notice

RATING_KEYS = {r.key: r for r in Rating}


def render_diff(diff: list[tuple[str, str]]) -> str:
    """A diff readable without colour: ``[-deleted-]`` and ``{+inserted+}``."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[op].format(text) for op, text in diff)


def read_letters(line: str, letters: str) -> tuple[set[int], list[str]]:
    """The options a line of letters picks (``a c``, ``a,c`` or ``ac``), and what in it is no option's letter."""
    picked: set[int] = set()
    bad: list[str] = []
    for ch in line.lower():
        if ch in letters:
            picked.add(letters.index(ch))
        elif not (ch.isspace() or ch in ",;/+"):
            bad.append(ch)
    return picked, bad


def ask_letters(ask, letters: str, say) -> set[int] | None:
    """Letters for a multiple-choice card, asked again until every one names an option; ``None``: quit."""
    while True:
        line = ask(f"\nyour choice ({', '.join(letters)}; Enter to skip, q to quit): ")
        if line is None or line.strip().lower() == "q":
            return None
        picked, bad = read_letters(line, letters)
        if not bad:
            return picked
        wrong = ", ".join(dict.fromkeys(bad))
        say(f"no option {wrong} here: type letters from {letters[0]} to {letters[-1]}, e.g. 'a c'")


class _Quit(Exception):
    """The learner typed ``q``, or the input ended."""


class _Lines:
    """One line out, one line in."""

    def __init__(self, inp: TextIO, out: TextIO):
        self.inp, self.out = inp, out

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str | None:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.say()
            return None
        return line.rstrip("\n")

    def show(self, markdown: str) -> None:
        self.say(plain(markdown, getattr(self.out, "encoding", None)))

    @property
    def interactive(self) -> bool:
        """Whether a person answers (a terminal), not a pipe or a file."""
        try:
            return self.inp.isatty()
        except (AttributeError, ValueError, OSError):
            return False


class _TrustAsker:
    """Before a deck's tests first run: trusted already, or the learner says yes on a terminal.

    A pipe or a file cannot answer the question, so there the tests of an untrusted deck do not run.
    """

    def __init__(self, session: Session, deck_path: str | None, tests: str, lines: _Lines):
        self.session, self.deck_path, self.tests, self.lines = session, deck_path, tests, lines

    def allowed(self) -> bool:
        from gistquiz import trust

        say = self.lines.say
        gate = trust.gate_tests(self.session.store, self.deck_path, self.tests)
        if gate.problem == "gone":
            say("the card's deck is gone: its tests do not run")
            return False
        if gate.problem == "unreadable":
            say(f"{self.deck_path}: cannot read: {gate.reason}; the tests do not run")
            return False
        if gate.problem == "changed":
            say(f"{self.deck_path} changed since the review started: its tests do not run (start it again)")
            return False
        if gate.trusted:
            return True
        code = gate.code
        say(trust.question(code))
        if not self.lines.interactive:
            say("not run: the input is not a terminal, so nobody can say yes (r reveals the solution)")
            return False
        line = self.lines.ask("run them? [y/N]: ")
        if line is not None and line.strip().lower() in ("y", "yes"):
            trust.allow(self.session.store, code, self.session.clock())
            return True
        say("not run (r reveals the solution)")
        return False


def run_plain(ws, cards: list[Card], title: str, inp: TextIO, out: TextIO) -> int:
    session = Session(cards, ws.store, ws.scheduler)
    lines = _Lines(inp, out)
    answered = 0
    try:
        while (card := session.current or session.next()) is not None:
            c = session.counts()
            lines.say(f"\n{title} · {c.new} new · {c.learning} learning · {c.review} review")
            lines.say("-" * 60)
            order = quiz.option_order(card, session.state(card).reps)
            lines.show(front_text(card, order))
            shown = time.monotonic()
            suggestion = _front(ws, session, card, order, lines)
            lines.say("")
            lines.show(back_text(card, order))
            if card.demo:
                lines.say(f"\n(demo: gistquiz demo {card.demo})")
            answered += _rate(session, card, suggestion, shown, lines)
    except _Quit:
        return 0
    nxt = session.next_due()
    later = f"; the next learning card is due at {nxt.astimezone():%H:%M}" if nxt else ""
    lines.say(f"Nothing more to review in {title} now{later}. Answered {answered} card(s).")
    return 0


def _front(ws, session: Session, card: Card, order: list[int], lines: _Lines) -> Rating | None:
    """Ask what the card's kind asks for before the answer shows; the rating it suggests, if any."""
    type_it = card.kind is Kind.TYPED or (card.kind is Kind.CLOZE and ws.scheduler.settings.type_cloze_answers)
    if type_it:
        typed = lines.ask("\nyour answer (Enter to skip, q to quit): ")
        if typed is None or typed.strip().lower() == "q":
            raise _Quit
        if not typed.strip():
            return None
        grade = grading.grade(card, typed)
        lines.say(f"{'right' if grade.correct else 'not quite'}: expected '{grade.expected}'")
        if not grade.exact:
            lines.say(f"diff: {render_diff(grade.diff) if grade.diff else typed}")
        return grade.rating
    if card.kind is Kind.CHOICE:
        picked = ask_letters(lines.ask, LETTERS[: len(card.options)], lines.say)
        if picked is None:
            raise _Quit
        if not picked:
            return None
        grade = grading.grade(card, {order[n] for n in picked})  # shown letters -> the card's options
        lines.say("right" if grade.correct else "not quite")
        return grade.rating
    if card.kind is Kind.EXERCISE:
        deck = ws.library.deck(card.deck)
        asker = _TrustAsker(session, deck.path if deck else None, card.exercise.tests, lines)
        attempted = _exercise(card, lines.ask, lines.say, session, asker)
        if attempted is None:
            raise _Quit
        return attempted
    line = lines.ask("\n[Enter] show answer  [q] quit: ")
    if line is None or line.strip().lower() == "q":
        raise _Quit
    return None


def _rate(session: Session, card: Card, suggestion: Rating | None, shown: float, lines: _Lines) -> int:
    """Ask for a rating (or undo, suspend, bury) until one is done; the change in cards answered."""
    preview = session.preview(card)
    lines.say("")
    lines.say("   ".join(f"{r.key} {r.label} {format_interval(preview[r])}" for r in Rating))
    hint = f" (suggested {suggestion.key})" if suggestion else ""
    while True:
        line = lines.ask(f"[1-4] rate{hint}  [u] undo  [s] suspend  [b] bury  [q] quit: ")
        if line is None:
            raise _Quit
        choice = line.strip().lower()
        if choice == "" and suggestion:
            choice = suggestion.key
        if choice in RATING_KEYS:
            duration = int((time.monotonic() - shown) * 1000)
            entry = session.answer(card, RATING_KEYS[choice], duration_ms=duration)
            if notice := leech_notice(entry):
                lines.say(notice)
            return 1
        if choice == "u":
            undone = session.undo()
            lines.say(undone.message[0].lower() + undone.message[1:].rstrip(".") if undone else "nothing to undo")
            if undone:
                return -(undone.entry.action == "answer")
            continue
        if choice == "s":
            session.suspend(card)
            lines.say("suspended")
            return 0
        if choice == "b":
            session.bury(card)
            lines.say("buried until tomorrow")
            return 0
        if choice == "q":
            raise _Quit
        lines.say("type 1, 2, 3 or 4 (or u, s, b, q)")


def _exercise(
    card: Card,
    ask: Callable[[str], str | None],
    say: Callable[[str], None],
    session: Session,
    asker: _TrustAsker,
):
    """Edit the code in a file, run the tests until they pass or the learner reveals; the suggested rating.

    The tests run only once ``asker`` allows it (asked at the first run). ``None`` when the learner quits
    (or the input ends).
    """
    from gistquiz.exercise import Attempts, grade, verdict_lines

    exercise = card.exercise
    code = session.store.exercise_code(card.key)
    folder = Path(tempfile.mkdtemp(prefix="gistquiz-exercise-"))
    path = folder / f"{(card.note_id or 'exercise').replace('/', '_')}.py"
    path.write_text(exercise.starter, encoding="utf-8")
    say(f"\nWrite your code in {path}")
    if code is not None and code != exercise.starter:
        say("(your last code for this card is kept: type o at the prompt to start from it)")
    attempts = Attempts()
    trusted = False
    _edit(path, say)
    while True:
        kept = "  [o] your last code" if code is not None and code != exercise.starter else ""
        line = ask(f"[Enter] run the tests  [e] edit{kept}  [r] reveal  [q] quit: ")
        if line is None or line.strip().lower() == "q":
            _remember(session, card, path)
            return None
        choice = line.strip().lower()
        if choice == "e":
            _edit(path, say, force=True)
            continue
        if choice == "o" and code is not None:
            path.write_text(code, encoding="utf-8")
            say(f"{path} now holds your last code")
            continue
        if choice == "r":
            attempts.revealed_before_passing = not any(v.passed for v in attempts.verdicts)
            break
        if choice:
            say("press Enter to run the tests, or type e, o, r or q")
            continue
        trusted = trusted or asker.allowed()
        if not trusted:
            continue
        say("running the tests...")
        verdict = grade(exercise, path.read_text(encoding="utf-8", errors="replace"))
        attempts.verdicts.append(verdict)
        for text in verdict_lines(verdict):
            say(text)
        if verdict.passed:
            break
    _remember(session, card, path)
    return Rating(attempts.suggested_rating())


def _edit(path: Path, say: Callable[[str], None], force: bool = False) -> None:
    """Open ``path`` in ``$VISUAL``/``$EDITOR`` if one is set (or on ``e``); otherwise the path is enough."""
    from gistquiz.editor import EditorError, find_editor

    if not force and not (os.environ.get("VISUAL", "").strip() or os.environ.get("EDITOR", "").strip()):
        return
    try:
        editor = find_editor()
    except EditorError as err:
        say(str(err))
        return
    try:
        subprocess.run(editor.command(str(path), 1), check=False)
    except OSError as err:
        say(f"cannot start {editor.origin} ({editor.text}): {err.strerror or err}")


def _remember(session: Session, card: Card, path: Path) -> None:
    """Keep the learner's last code for this card, and drop the temp file."""
    try:
        code = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        code = None
    if code is not None and code != card.exercise.starter:
        session.store.save_exercise_code(card.key, code, session.clock())
    import shutil

    shutil.rmtree(path.parent, ignore_errors=True)
