"""A line-based review for plain terminals, ssh and screen readers (``gistquiz review --plain``).

It reads one line per step, so it also reads answers from a pipe:
Enter reveals, ``1``-``4`` rate (Again, Hard, Good, Easy), ``u`` undoes the
last action (an answer, a suspend or a bury), ``s`` suspends, ``b`` buries, ``q`` quits (at every prompt: a
``q`` alone is never taken for an answer). Typed cards (and clozes, with the
``type_cloze_answers`` setting) first ask for the answer and grade it; a
multiple-choice card asks for letters, and a letter no option has is flagged
and asked again. End of input quits; every answer is already on disk by then.
"""

from __future__ import annotations

import time
from typing import TextIO

from gistquiz import grading, quiz
from gistquiz.card_text import LETTERS, back_text, front_text
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


def run_plain(ws, cards: list[Card], title: str, inp: TextIO, out: TextIO) -> int:
    session = Session(cards, ws.store, ws.scheduler)

    def say(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    def ask(prompt: str) -> str | None:
        out.write(prompt)
        out.flush()
        line = inp.readline()
        if not line:
            say()
            return None
        return line.rstrip("\n")

    answered = 0
    while True:
        card = session.current or session.next()
        if card is None:
            nxt = session.next_due()
            later = f"; the next learning card is due at {nxt.astimezone():%H:%M}" if nxt else ""
            say(f"Nothing more to review in {title} now{later}. Answered {answered} card(s).")
            return 0
        c = session.counts()
        say(f"\n{title} · {c.new} new · {c.learning} learning · {c.review} review")
        say("-" * 60)
        order = quiz.option_order(card, session.state(card).reps)
        say(front_text(card, order))
        shown = time.monotonic()
        suggestion = None
        type_it = card.kind is Kind.TYPED or (card.kind is Kind.CLOZE and ws.scheduler.settings.type_cloze_answers)
        if type_it:
            typed = ask("\nyour answer (Enter to skip, q to quit): ")
            if typed is None or typed.strip().lower() == "q":
                return 0
            if typed.strip():
                grade = grading.grade(card, typed)
                verdict = "right" if grade.correct else "not quite"
                say(f"{verdict}: expected '{grade.expected}'")
                if not grade.exact:
                    say(f"diff: {render_diff(grade.diff) if grade.diff else typed}")
                suggestion = grade.rating
        elif card.kind is Kind.CHOICE:
            letters = LETTERS[: len(card.options)]
            picked = ask_letters(ask, letters, say)
            if picked is None:
                return 0
            if picked:
                grade = grading.grade(card, {order[n] for n in picked})  # shown letters -> the card's options
                say("right" if grade.correct else "not quite")
                suggestion = grade.rating
        else:
            line = ask("\n[Enter] show answer  [q] quit: ")
            if line is None or line.strip().lower() == "q":
                return 0
        say("")
        say(back_text(card, order))
        if card.demo:
            say(f"\n(demo: gistquiz demo {card.demo})")
        preview = session.preview(card)
        say("")
        say("   ".join(f"{r.key} {r.label} {format_interval(preview[r])}" for r in Rating))
        hint = f" (suggested {suggestion.key})" if suggestion else ""
        while True:
            line = ask(f"[1-4] rate{hint}  [u] undo  [s] suspend  [b] bury  [q] quit: ")
            if line is None:
                return 0
            choice = line.strip().lower()
            if choice == "" and suggestion:
                choice = suggestion.key
            if choice in RATING_KEYS:
                duration = int((time.monotonic() - shown) * 1000)
                entry = session.answer(card, RATING_KEYS[choice], duration_ms=duration)
                answered += 1
                if notice := leech_notice(entry):
                    say(notice)
                break
            if choice == "u":
                undone = session.undo()
                say(undone.message[0].lower() + undone.message[1:].rstrip(".") if undone else "nothing to undo")
                if undone:
                    answered -= undone.entry.action == "answer"
                    break
                continue
            if choice == "s":
                session.suspend(card)
                say("suspended")
                break
            if choice == "b":
                session.bury(card)
                say("buried until tomorrow")
                break
            if choice == "q":
                return 0
            say("type 1, 2, 3 or 4 (or u, s, b, q)")
