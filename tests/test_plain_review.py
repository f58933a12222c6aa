"""The line-based review driven in-process: choices graded by the letters shown, the suggested rating, leeches."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest

from gistquiz import quiz
from gistquiz.card_text import LETTERS
from gistquiz.deck import Kind, parse_deck
from gistquiz.plain_review import run_plain
from gistquiz.scheduler import Rating, Scheduler, State, utcnow
from gistquiz.session import LEECH_NOTICE, Session
from gistquiz.settings import Settings
from gistquiz.store import Store

DECK = """\
# D

## Which is a prime?

- [ ] 4
- [ ] 6
- [x] 7
- [ ] 9
"""


@pytest.fixture
def ws(tmp_path):
    with Store(tmp_path / "db.sqlite3") as store:
        yield SimpleNamespace(store=store, scheduler=Scheduler(Settings(leech_threshold=1)))


def review(ws, cards, lines: str) -> str:
    out = io.StringIO()
    assert run_plain(ws, cards, "D", io.StringIO(lines), out) == 0
    return out.getvalue()


@pytest.mark.parametrize("right", [True, False])
def test_a_choice_is_graded_by_the_letter_shown_and_enter_takes_the_suggestion(ws, right):
    (card,) = parse_deck(DECK, "d.md", known_demos=set()).cards
    assert card.kind is Kind.CHOICE
    order = quiz.option_order(card, 0)  # the letters are shuffled per showing: find where 7 is shown
    shown = order.index(2) if right else order.index(0)
    out = review(ws, [card], f"{LETTERS[shown]}\n\nq\n")
    suggested = Rating.GOOD if right else Rating.AGAIN
    verdict = next(line for line in out.splitlines() if line.startswith("your choice")).rsplit(": ", 1)[-1]
    assert verdict == ("right" if right else "not quite")
    assert f"(suggested {suggested.key})" in out
    assert [e.rating for e in ws.store.reviews()] == [suggested]


def test_the_answer_that_makes_a_leech_says_so_once(ws):
    (card,) = parse_deck(DECK, "d.md", known_demos=set()).cards
    t = utcnow() - timedelta(days=90)
    past = Session([card], ws.store, ws.scheduler, clock=lambda: t)
    while ws.store.state(card.key) is None or ws.store.state(card.key).state != State.REVIEW:
        past.answer(card, Rating.GOOD)  # graduate it, long ago: it is due now
        t += timedelta(minutes=11)
    out = review(ws, [card], "\n1\n")  # skip the choice, rate Again: the first lapse reaches the threshold of 1
    assert out.count(LEECH_NOTICE) == 1
    assert ws.store.state(card.key).suspended
