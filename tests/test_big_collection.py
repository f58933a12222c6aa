"""Opening a big collection: the queue built from the queue's part of the stored states is the queue built
from the whole states, and reopening grows linearly with the number of cards."""

from __future__ import annotations

import random
import sqlite3
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gistquiz import locations
from gistquiz.deck import parse_deck
from gistquiz.scheduler import CardState, Scheduler, State
from gistquiz.session import Session, build_queue
from gistquiz.settings import Settings
from gistquiz.store import NOT_TODAY, Store, StoreError
from gistquiz.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from timing import best_of_interleaved  # noqa: E402

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def generated(n: int) -> str:
    notes = "".join(
        f"\n## Cloze {i}\n\nThe {{{{c1::a{i}}}}} and {{{{c2::b{i}}}}}.\n"
        if i % 7 == 3
        else f"\n## Question number {i}?\n\nAnswer number {i}.\n"
        for i in range(n)
    )
    return "# Generated\n" + notes


def random_state(rng: random.Random, key: str) -> CardState:
    """Any state a card can be in, dates around NOW (today, earlier, later; buried today or a past day), some
    on a whole second and some stored with another UTC offset (text whose order is not the times')."""

    def when() -> datetime | None:
        t = NOW + timedelta(hours=rng.uniform(-72, 72))
        t = rng.choice([t, t.replace(microsecond=0), t.astimezone(timezone(timedelta(hours=rng.choice([-5, 2]))))])
        return rng.choice([None, t])

    return CardState(
        key,
        "gen",
        rng.choice(list(State)),
        rng.choice([None, 0, 1]),
        rng.uniform(0.1, 50),
        rng.uniform(1, 10),
        when(),
        when(),
        rng.randrange(5),
        rng.randrange(3),
        rng.random() < 0.1,
        when() if rng.random() < 0.2 else None,
        rng.random() < 0.05,
    )


def test_the_queue_from_queue_states_is_the_queue_from_states(tmp_path):
    cards = parse_deck(generated(600), "gen.md").cards
    rng = random.Random(7)
    with Store(tmp_path / "db.sqlite3") as store:
        store.replace_states((random_state(rng, c.key), "") for c in cards if rng.random() < 0.8)
        whole, part = store.states(), store.queue_states()
        assert part.keys() == whole.keys()
        for settings in (Settings(), Settings(new_per_day=500, reviews_per_day=50)):
            scheduler = Scheduler(settings)
            for hours in (-30, 0, 9, 30):
                now = NOW + timedelta(hours=hours)
                expected = build_queue(cards, whole, now, scheduler, 3, 7)
                assert build_queue(cards, part, now, scheduler, 3, 7) == expected
                # The day's part: the cards SQLite finds outside the day are NOT_TODAY, the queue the same.
                start = scheduler.day_start(now)
                day = store.queue_states((start, start + timedelta(days=1)))
                assert day.keys() == whole.keys()
                assert 0 < sum(s is NOT_TODAY for s in day.values()) < len(day)
                assert build_queue(cards, day, now, scheduler, 3, 7) == expected


def test_a_card_row_no_gistquiz_writes_is_reported_as_damage(tmp_path):
    path = tmp_path / "db.sqlite3"
    with Store(path) as store:
        store.replace_states([(CardState("gen:~a", "gen", State.REVIEW, due=NOW, last_review=NOW), "")])
    con = sqlite3.connect(path)
    con.execute("UPDATE cards SET state = 9")
    con.commit()
    con.close()
    with Store(path) as store, pytest.raises(StoreError, match="never writes"):
        store.queue_states()
    path.with_name(path.name + ".damaged").unlink()
    with Store(path) as store, pytest.raises(StoreError, match="never writes"):
        store.queue_states((NOW, NOW + timedelta(days=1)))  # the day's pass reads it too


def test_reopening_a_collection_grows_linearly_with_its_cards(tmp_path):
    """t(4n)/t(n) of Workspace.open .. re-linking .. the built queue, the decks from the parse cache: 4 when linear,
    16 when quadratic; measured 3.8-4.2 (CPU time, best of 5 interleaved), 6 leaves room for noise. (At 100,000
    cards the growth from 10,000 is memory's as much as the code's: ``bench_core.py --open`` shows it beside the
    bare read's own.)"""
    homes = {}
    for n in (2_500, 10_000):
        home = tmp_path / f"home{n}"
        (home / "decks").mkdir(parents=True)
        (home / "settings.toml").write_text("bundled_decks = false\n")
        (home / "decks" / "gen.md").write_text(generated(n))
        rng = random.Random(n)
        with Store(locations.database_path(home)) as store:
            deck = parse_deck(generated(n), "gen.md")
            store.replace_states((random_state(rng, c.key), "") for c in deck.cards)
        homes[n] = home

    def open_collection(home: Path) -> None:
        ws = Workspace.open(home)
        ws.sync(NOW)  # re-linking: nothing to do for unchanged decks, and no per-card work to find that out
        Session(list(ws.library.cards()), ws.store, ws.scheduler, clock=lambda: NOW).next()
        ws.close()

    for home in homes.values():
        open_collection(home)  # fills the parse cache
    small, large = best_of_interleaved(5, open_collection, homes[2_500], homes[10_000])
    assert large / small < 6, f"t(4n)/t(n) = {large / small:.1f}"


def test_the_home_screen_counts_from_the_day_s_states_are_the_counts_from_whole_states(tmp_path):
    from gistquiz.overview import deck_counts

    cards = parse_deck(generated(600), "gen.md").cards
    decks = [parse_deck(generated(300), "gen.md"), parse_deck(generated(40), "gen.md"), parse_deck("# E\n", "e.md")]
    rng = random.Random(11)
    with Store(tmp_path / "db.sqlite3") as store:
        store.replace_states((random_state(rng, c.key), "") for c in cards if rng.random() < 0.8)
        whole = store.states()
        for hours in (-30, 0, 9, 30):
            now, scheduler = NOW + timedelta(hours=hours), Scheduler(Settings(new_per_day=500, reviews_per_day=50))
            got = [(c.new, c.learning, c.due, c.total, c.today_new) for c in deck_counts(decks, store, scheduler, now)]
            expected = []
            for deck in decks:  # the counts as they were made from every card's whole state
                q = build_queue(deck.cards, whole, now, scheduler)
                seen = sum(1 for c in deck.cards if c.key in whole and whole[c.key].reps > 0)
                n = len(deck.cards)
                expected.append((n - seen, len(q.learning), len(q.review), n, len(q.new)))
            assert got == expected
