"""The per-deck counts of the home screen and ``gistquiz decks``, and today's totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gistquiz.deck import parse_deck
from gistquiz.overview import Today, deck_counts, today
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.settings import Settings
from gistquiz.store import Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def deck(name: str, n: int):
    text = f"# {name}\n\n" + "".join(f"## {name} question {i}?\n\nAnswer {i}.\n\n" for i in range(n))
    d = parse_deck(text, f"{name}.md", known_demos=set())
    assert len(d.cards) == n and (d.errors == [] or n == 0)
    return d


def test_each_deck_is_counted_with_its_own_answers_today(tmp_path):
    sched = Scheduler(Settings(new_per_day=2, fuzz=False))
    a, b, empty = deck("alpha", 3), deck("beta", 2), deck("gamma", 0)
    with Store(tmp_path / "db.sqlite3") as store:
        card = a.cards[0]
        store.answer(card.key, a.key, Rating.GOOD, T0, lambda s: sched.review(s, Rating.GOOD, T0), duration_ms=2500)
        rows = {r.deck.key: r for r in deck_counts([a, b, empty], store, sched, T0)}
        # alpha introduced one of its two new cards today: one more may come; beta has both left
        assert (rows["alpha"].new, rows["alpha"].learning, rows["alpha"].today_new, rows["alpha"].total) == (2, 1, 1, 3)
        assert (rows["beta"].new, rows["beta"].learning, rows["beta"].today_new, rows["beta"].total) == (2, 0, 2, 2)
        assert (rows["gamma"].new, rows["gamma"].today_new, rows["gamma"].total) == (0, 0, 0)
        assert today(store, sched, T0) == Today(1, 2.5)
        assert today(store, sched, T0 + timedelta(days=1)) == Today(0, 0.0)
