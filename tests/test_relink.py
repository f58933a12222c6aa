"""A card's history follows it through edits, and never jumps to an unrelated card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gistquiz import relink
from gistquiz.deck import parse_deck
from gistquiz.rebuild import rebuild
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.session import Session
from gistquiz.store import Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

BEFORE = """\
## Why does batch normalization speed up training?

It keeps the distribution of each layer's inputs similar across batches.

## What does L1 regularization do to useless weights?

It drives them to exactly zero.

## What is the learning rate?

The step size of gradient descent.
"""


def load(text):
    d = parse_deck(text, "d.md", known_demos=set())
    assert d.errors == []
    return d


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


def study_all(deck, store, days=3):
    sched, clock = Scheduler(), Clock()
    for day in range(days):
        s = Session(deck.cards, store, sched, clock=clock)
        while (card := s.next()) is not None:
            s.answer(card, Rating.GOOD)
            clock.t += timedelta(minutes=11)
        clock.t = T0 + timedelta(days=day + 1)
    return {c.front: store.state(c.key) for c in deck.cards}


def test_re_punctuated_card_keeps_its_key():
    a = load(BEFORE)
    b = load(BEFORE.replace("speed up training?", "Speed Up Training").replace("zero.", "zero!"))
    assert [c.key for c in a.cards] == [c.key for c in b.cards]


def test_reworded_card_keeps_its_history(store):
    old = load(BEFORE)
    history = study_all(old, store)
    edited = load(
        BEFORE.replace(
            "Why does batch normalization speed up training?", "Why does batch norm make training converge faster?"
        ).replace("similar across batches", "similar from batch to batch")
    )
    changed = next(c for c in edited.cards if "converge" in c.front)
    assert changed.key not in {c.key for c in old.cards}
    found = relink.sync(edited, store, T0 + timedelta(days=5))
    assert [(r.new_key, r.line) for r in found] == [(changed.key, 1)]
    assert found[0].similarity >= relink.THRESHOLD
    assert store.state(changed.key).reps == history["Why does batch normalization speed up training?"].reps
    assert "kept the history of an edited card" in str(found[0]) and str(found[0]).startswith("d.md:1:")
    # the replayed log agrees with the moved state
    assert rebuild(store, Scheduler()).changed == []


@pytest.mark.parametrize(
    "old_card, new_card",
    [
        pytest.param(
            "## What is the learning rate?\n\nThe step size of gradient descent.",
            "## What does BLEU measure?\n\nThe n-gram overlap of a translation with reference translations.",
            id="unrelated-card",
        ),
        pytest.param(  # close in wording, different in meaning: below the threshold
            "## What does L1 regularization do to useless weights?\n\nIt drives them to exactly zero.",
            "## What does L2 regularization do to weights?\n\nIt shrinks all weights towards zero.",
            id="l1-vs-l2",
        ),
    ],
)
def test_a_card_replaced_by_a_different_one_does_not_inherit_history(store, old_card, new_card):
    old = load(BEFORE)
    study_all(old, store)
    assert old_card in BEFORE
    replaced = load(BEFORE.replace(old_card, new_card))
    assert relink.sync(replaced, store, T0 + timedelta(days=5)) == []
    (fresh,) = [c for c in replaced.cards if c.key not in {o.key for o in old.cards}]
    assert store.state(fresh.key) is None


def test_history_is_never_merged_into_a_card_that_has_its_own(store):
    old = load(BEFORE)
    study_all(old, store)
    orphans = {"d:~old": "why does batch normalization speed up training"}
    fresh = {c.key: c.fingerprint for c in old.cards}
    pairs = relink.match(orphans, fresh)
    assert pairs  # the text matches an existing card...
    key = pairs[0][1]
    reps = store.state(key).reps
    store.relink("d:~old", key, "d", pairs[0][2], T0, "x")  # ...but that card has a history: no merge
    assert store.state(key).reps == reps


def test_sibling_slots_only_match_their_own_slot():
    orphans = {"d:~a/rev": "term definition"}
    fresh = {"d:~b": "term definition", "d:~b/rev": "term definition"}
    assert [p[:2] for p in relink.match(orphans, fresh)] == [("d:~a/rev", "d:~b/rev")]


def test_undo_after_an_edit_takes_back_the_answer_under_the_card_s_new_key(store):
    old = load(BEFORE)
    session = Session(old.cards, store, Scheduler(), clock=lambda: T0)
    card = session.next()
    session.answer(card, Rating.GOOD)
    edited = load(BEFORE.replace("speed up training?", "make training faster?"))
    (moved,) = relink.sync(edited, store, T0)
    assert moved.old_key == card.key and store.state(card.key) is None
    session.set_cards(edited.cards)  # as the review does after an edit: the undo history stays
    undone = session.undo()
    new_card = next(c for c in edited.cards if c.key == moved.new_key)
    assert undone.card == new_card and session.current == new_card
    assert store.state(new_card.key).reps == 0 and store.state(card.key) is None  # no ghost under the old key


def test_an_unchanged_deck_is_not_checked_again_and_a_reordered_one_relinks_nothing(store, monkeypatch):
    deck = load(BEFORE)
    study_all(deck, store)
    assert relink.sync(deck, store, T0) == []
    sections = BEFORE.split("\n## ")
    moved = load("## " + "\n## ".join([sections[2].rstrip("\n") + "\n", sections[0].removeprefix("## "), sections[1]]))
    assert {c.key for c in moved.cards} == {c.key for c in deck.cards} and moved.cards != deck.cards
    assert relink.sync(moved, store, T0) == []  # the same cards in another order: nothing is an orphan

    def no_check(deck_key):
        raise AssertionError("an unchanged deck was checked again")

    monkeypatch.setattr(store, "fingerprints", no_check)
    assert relink.sync(moved, store, T0) == []
