"""The decks a user has: a copy of a bundled deck takes its place with the same keys, and says when it is older."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gistquiz import library
from gistquiz.cli import main
from gistquiz.library import copy_bundled, load, replacements
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.session import Counts, Session
from gistquiz.store import Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DECK = "# Basics\n\n## One?\n\nOne.\n\n## Two?\ntype: reversed\n\nTwo.\n"


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    folder = tmp_path / "bundled"
    folder.mkdir()
    (folder / "basics.md").write_text(DECK)
    monkeypatch.setattr(library, "bundled_decks_dir", lambda: folder)
    return folder


def test_a_copy_of_a_bundled_deck_takes_its_place_and_keeps_the_history(bundled, gistquiz_home):
    lib = load(gistquiz_home, known_demos=frozenset())
    (deck,) = lib.decks
    assert deck.source == "bundled" and lib.replaced == {}
    with Store(gistquiz_home / "db.sqlite3") as store:
        s = Session(deck.cards, store, Scheduler(), clock=lambda: T0)
        for card in deck.cards:
            s.answer(card, Rating.GOOD)
        s.suspend(deck.cards[1])
        before = store.states()
        copy = copy_bundled(deck, gistquiz_home)
        assert copy == gistquiz_home / "decks" / "basics.md" and (bundled / "basics.md").read_text() == DECK
        assert copy_bundled(deck, gistquiz_home) == copy  # a second edit goes to the same copy
        lib = load(gistquiz_home, known_demos=frozenset())
        (used,) = lib.decks
        assert used.source == "user" and used.path == str(copy) and lib.replaced["basics"].path == deck.path
        assert [c.key for c in used.cards] == [c.key for c in deck.cards] and used.errors == []
        again = Session(used.cards, store, Scheduler(), clock=lambda: T0)
        assert store.states() == before and again.counts() == Counts(0, 2, 0)  # two learning, one suspended
    (r,) = replacements(lib)
    assert not r.bundled_changed and "used in place of the bundled deck" in str(r)


def test_decks_says_which_copy_is_used_and_when_the_bundled_deck_changed(bundled, gistquiz_home, capsys):
    copy_bundled(load(gistquiz_home, known_demos=frozenset()).decks[0], gistquiz_home)
    assert main(["decks"]) == 0
    out = capsys.readouterr().out
    assert f"user: {gistquiz_home / 'decks' / 'basics.md'}" in out and "used in place of the bundled deck" in out
    assert "older" not in out
    (bundled / "basics.md").write_text(DECK + "\n## Three?\n\nThree.\n")  # a newer gistquiz ships a changed deck
    assert main(["decks"]) == 0
    out = capsys.readouterr().out
    copy = gistquiz_home / "decks" / "basics.md"
    assert "your copy is older" in out and f"diff -u {bundled / 'basics.md'} {copy}" in out


def test_a_deck_of_the_same_name_in_another_folder_is_still_refused(bundled, gistquiz_home, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "basics.md").write_text(DECK)
    lib = load(gistquiz_home, [extra], known_demos=frozenset())
    assert [d.source for d in lib.decks] == ["bundled", str(extra)]
    assert "already used by" in str(lib.decks[1].errors[0])
