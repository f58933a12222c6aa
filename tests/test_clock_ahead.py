"""Answers given while the clock was ahead (then set back) never shift today's limits or hide siblings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from gistquiz.deck import parse_deck
from gistquiz.scheduler import Rating, Scheduler, State
from gistquiz.session import Session
from gistquiz.settings import Settings
from gistquiz.store import Store

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AHEAD = [NOW + timedelta(days=1), NOW + timedelta(days=400)]  # tomorrow, and the 400 days


def cards(text: str):
    d = parse_deck("# D\n\n" + text, "d.md", known_demos=set())
    assert d.errors == []
    return d.cards


BASIC = "".join(f"## Question {i}\n\nAnswer {i}\n\n" for i in range(30))
REVERSED = "## Term\ntype: reversed\n\nDefinition\n"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


def session_at(t: datetime, deck, store, **settings) -> Session:
    return Session(deck, store, Scheduler(Settings(**settings)), clock=lambda: t)


@pytest.mark.parametrize("ahead", AHEAD, ids=["1 day", "400 days"])
def test_answers_from_a_clock_ahead_do_not_count_against_today_new_limit(store, ahead):
    deck = cards(BASIC)
    future = session_at(ahead, deck, store)
    for _ in range(4):
        future.answer(future.next(), Rating.EASY)
    assert session_at(NOW, deck, store).counts().new == 20  # not 16


@pytest.mark.parametrize("ahead", AHEAD, ids=["1 day", "400 days"])
def test_a_sibling_answered_with_the_clock_ahead_does_not_hide_the_other_side(store, ahead):
    deck = cards(REVERSED)
    future = session_at(ahead, deck, store)
    future.answer(future.next(), Rating.GOOD)
    assert session_at(NOW, deck, store).counts().new == 1


def test_a_bury_from_a_clock_ahead_does_not_hide_the_card(store):
    deck = cards(BASIC[: BASIC.index("## Question 3")])
    future = session_at(AHEAD[1], deck, store)
    future.bury(future.next())
    assert session_at(NOW, deck, store).counts().new == 3  # not hidden for 400 days
    today = session_at(NOW, deck, store)
    today.bury(today.next())
    assert session_at(NOW, deck, store).counts().new == 2  # a bury made today still hides the card today


def test_fsrs_never_sees_a_negative_elapsed_time(store, monkeypatch):
    seen = []
    review_card = fsrs.Scheduler.review_card

    def spy(self, card, rating, review_datetime=None, *args, **kw):
        if card.last_review is not None:
            seen.append(review_datetime - card.last_review)
        return review_card(self, card, rating, review_datetime, *args, **kw)

    monkeypatch.setattr(fsrs.Scheduler, "review_card", spy)
    scheduler = Scheduler()
    deck = cards(BASIC)
    for t in (AHEAD[1], AHEAD[1] + timedelta(days=3), NOW):  # a review in the future, then the clock set back
        state = store.state(deck[0].key)
        s = session_at(t, deck, store)
        s.answer(deck[0], Rating.GOOD)
        assert state is None or scheduler.retrievability(state, t) <= 1.0
    assert seen and min(seen) >= timedelta(0)
    assert store.state(deck[0].key).state == State.REVIEW
