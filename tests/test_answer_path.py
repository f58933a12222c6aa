"""The answer path as the app runs it: one durable commit per answer, nothing written outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gistquiz.deck import Kind, read_deck
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.session import Session
from gistquiz.settings import Settings
from gistquiz.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_each_answer_makes_exactly_one_durable_commit(write_deck, tmp_path):
    path = write_deck(
        "# D\n\n## What is one?\n\nOne.\n\n## Cloze\n\nThe {{c1::first}} and {{c2::second}}.\n\n"
        "## Reversed\ntype: reversed\n\nFront side.\n"
    )
    deck = read_deck(path, known_demos=set())
    assert {card.kind for card in deck.cards} >= {Kind.BASIC, Kind.CLOZE, Kind.REVERSED}
    with Store(tmp_path / "db.sqlite3") as store:
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: a COMMIT is an fsync
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        clock = iter(T0 + timedelta(minutes=i) for i in range(100))
        session = Session(deck.cards, store, Scheduler(Settings(new_per_day=100)), clock=lambda: next(clock))
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        answers = 0
        for rating in (Rating.GOOD, Rating.AGAIN, Rating.EASY, Rating.HARD):
            card = session.next()
            if card is None:
                break
            statements.clear()
            session.answer(card, rating)
            answers += 1
            words = [s.split()[0].upper() for s in statements]
            assert words.count("COMMIT") == 1, statements
            assert words[0] == "BEGIN" and words[-1] == "COMMIT", statements  # every write inside it
            assert not {"ROLLBACK", "SAVEPOINT", "RELEASE"} & set(words), statements
        assert answers >= 3
        (logged,) = store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()
        assert logged == answers
