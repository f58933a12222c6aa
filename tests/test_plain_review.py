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


THREE = """\
# D

## Which is a prime?

- [ ] 4
- [x] 7
- [ ] 9
"""


def test_letters_no_option_has_are_flagged_and_asked_again(ws):
    (card,) = parse_deck(THREE, "d.md", known_demos=set()).cards
    order = quiz.option_order(card, 0)
    right = LETTERS[order.index(1)]
    out = review(ws, [card], f"a d e\n{right}\n\nq\n")
    assert "no option d, e here: type letters from a to c" in out
    first_showing = out.split("Which is a prime?")[1]
    assert first_showing.count("your choice") == 2  # asked again, and the answer that follows is graded
    assert [e.rating for e in ws.store.reviews()] == [Rating.GOOD]


def test_q_at_a_choice_prompt_quits(ws):
    (card,) = parse_deck(THREE, "d.md", known_demos=set()).cards
    out = review(ws, [card], "q\n1\n")
    assert "not quite" not in out and ws.store.reviews() == []


def test_a_cloze_is_revealed_unless_the_setting_asks_to_type_it(tmp_path):
    deck = "# D\n\n## Parts\n\nA CNN stacks {{c1::convolution}} layers.\n"
    (card,) = parse_deck(deck, "d.md", known_demos=set()).cards
    for typing, lines in ((False, "\n3\n"), (True, "convolution\n\n")):
        with Store(tmp_path / f"{typing}.sqlite3") as store:
            ws = SimpleNamespace(store=store, scheduler=Scheduler(Settings(type_cloze_answers=typing)))
            out = review(ws, [card], lines)
            assert ("your answer" in out) is typing and ("right: expected 'convolution'" in out) is typing
            assert [e.rating for e in store.reviews()] == [Rating.GOOD]


THREE_BASIC = "# D\n\n## First?\nid: one\n\nOne.\n\n## Second?\nid: two\n\nTwo.\n\n## Third?\n\nThree.\n"


def test_u_undoes_a_suspend_and_a_bury_through_a_pipe_naming_each(ws):
    cards = parse_deck(THREE_BASIC, "d.md", known_demos=set()).cards
    # Enter reveals; s suspends the first card, b buries the second, then u on the third and u on the
    # second (shown again) take both back in turn; q on the first (shown again) quits.
    out = review(ws, cards, "\ns\n\nb\n\nu\n\nu\nq\n")
    lines = [line.rsplit(": ", 1)[-1] for line in out.splitlines()]
    assert [line for line in lines if line.startswith("undid")] == ["undid the bury", "undid the suspend"]
    assert not ws.store.state("d:one").suspended and ws.store.state("d:two").buried_until is None
    log = ws.store.reviews(include_undone=True)
    assert [e.action for e in log] == ["suspend", "bury", "undo", "undo"]
