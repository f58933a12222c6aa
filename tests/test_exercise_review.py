"""Exercise cards in review: the plain review's edit-run loop, the kept code, their own new-card limit and log
source."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from gistquiz import trust
from gistquiz.deck import Kind, parse_deck
from gistquiz.fsrs_items import ANSWER_SOURCES
from gistquiz.library import load_paths
from gistquiz.plain_review import run_plain
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.session import Session
from gistquiz.settings import Settings
from gistquiz.store import SCHEMA_VERSION, TABLES_SINCE, Store


def exercise_note(n: int) -> str:
    return f"""## Double {n}
id: double-{n}
type: exercise

Return twice the input.

```python
def double(x):
    \"\"\"x: (N,) -> (N,)\"\"\"
```

```python tests
def test_double():
    close(double(np.arange(3.0)), [0.0, 2.0, 4.0])
```

```python solution
def double(x):
    return 2 * x
```
"""


DECK = "# D\n\n" + exercise_note(1)
WRONG = "def double(x):\n    return x + 1\n"
RIGHT = "def double(x):\n    return x * 2\n"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A deck file ``d.md`` the learner already said yes to (the trust questions have tests of their own)."""
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    path = tmp_path / "d.md"
    path.write_text(DECK)
    with Store(tmp_path / "db.sqlite3") as store:
        trust.allow(store, trust.deck_code(path), datetime.now(UTC))
        yield SimpleNamespace(store=store, scheduler=Scheduler(Settings()), library=load_paths([path]))


class Learner(io.StringIO):
    """Input lines for the plain review; a callable step edits the file the review printed, then sends Enter."""

    def __init__(self, out: io.StringIO, steps: list):
        super().__init__()
        self.out, self.steps = out, list(steps)

    def readline(self, *args) -> str:
        if not self.steps:
            return ""
        step = self.steps.pop(0)
        if callable(step):
            path = re.findall(r"Write your code in (\S+)", self.out.getvalue())[-1]
            step(path)
            return "\n"
        return step


def write(code: str):
    def step(path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(code)

    return step


def review(ws, cards, steps) -> str:
    out = io.StringIO()
    assert run_plain(ws, cards, "D", Learner(out, steps), out) == 0
    return out.getvalue()


def test_plain_review_runs_the_tests_until_they_pass_and_suggests_hard_after_a_fix(ws):
    (card,) = parse_deck(DECK, "d.md").cards
    out = review(ws, [card], [write(WRONG), write(RIGHT), "\n", "q\n"])
    assert "def double(x):" in out  # the starter is shown
    assert "  FAIL  test_double: result: max abs error 1;" in out
    assert "  pass  test_double" in out
    assert "1 of 1 tests passed" in out
    assert "Solution:" in out
    assert "(suggested 2)" in out
    (entry,) = ws.store.reviews()
    assert entry.rating == Rating.HARD
    assert entry.source == "exercise" and "exercise" not in ANSWER_SOURCES  # FSRS fitting leaves it out
    assert ws.store.exercise_code(card.key) == RIGHT


def test_a_first_run_pass_suggests_good_and_a_reveal_before_passing_again(ws):
    (card,) = parse_deck(DECK, "d.md").cards
    review(ws, [card], [write(RIGHT), "\n", "q\n"])
    assert ws.store.reviews()[-1].rating == Rating.GOOD
    (other,) = parse_deck(DECK.replace("double-1", "double-2"), "d.md").cards  # another new card
    out = review(ws, [other], [write(WRONG), "r\n", "\n", "q\n"])
    assert "(suggested 1)" in out
    assert ws.store.reviews()[-1].rating == Rating.AGAIN


def test_the_kept_code_is_offered_and_restored_on_request(ws):
    (card,) = parse_deck(DECK, "d.md").cards
    ws.store.save_exercise_code(card.key, WRONG, datetime.now(UTC))
    seen = {}

    def look(path: str) -> None:
        seen["code"] = Path(path).read_text(encoding="utf-8")

    out = review(ws, [card], ["o\n", look, "q\n"])
    assert "your last code for this card is kept" in out
    assert seen["code"] == WRONG  # the file starts from the starter; o restored the kept code


def test_quitting_keeps_the_code_written_so_far(ws):
    (card,) = parse_deck(DECK, "d.md").cards
    review(ws, [card], [write(WRONG), "q\n"])
    assert ws.store.reviews() == []
    assert ws.store.exercise_code(card.key) == WRONG


def test_exercises_have_their_own_new_card_limit(tmp_path):
    deck = "# D\n\n" + "".join(exercise_note(n) for n in range(6)) + "".join(f"## Q{n}\n\nA{n}\n\n" for n in range(30))
    cards = parse_deck(deck, "d.md").cards
    assert sum(c.kind is Kind.EXERCISE for c in cards) == 6
    with Store(tmp_path / "db.sqlite3") as store:
        session = Session(cards, store, Scheduler(Settings(new_per_day=20, exercise_new_per_day=3)))
        new = [session.cards[k] for k in session.queue.new]
    assert sum(c.kind is Kind.EXERCISE for c in new) == 3
    assert sum(c.kind is Kind.BASIC for c in new) == 20


def test_answered_exercises_count_against_their_own_limit_only(tmp_path):
    deck = "# D\n\n" + "".join(exercise_note(n) for n in range(5)) + "## Q\n\nA\n"
    cards = parse_deck(deck, "d.md").cards
    scheduler = Scheduler(Settings(new_per_day=5, exercise_new_per_day=2))
    with Store(tmp_path / "db.sqlite3") as store:
        session = Session(cards, store, scheduler)
        first = session.cards[next(k for k in session.queue.new if session.cards[k].kind is Kind.EXERCISE)]
        session.answer(first, Rating.GOOD)
        session = Session(cards, store, scheduler)
        kinds = [session.cards[k].kind for k in session.queue.new]
    assert kinds.count(Kind.EXERCISE) == 1  # 2 a day, 1 done
    assert kinds.count(Kind.BASIC) == 1


def test_the_migration_adds_the_exercise_code_table_to_an_old_database(tmp_path):
    path = tmp_path / "db.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)  # back to the schema just before exercise_code: undo it and every later step
    db.execute("DROP TABLE exercise_code")
    db.execute("ALTER TABLE reviews DROP COLUMN action")  # the step after it (suspend/bury in the log)
    db.execute("DROP TABLE trusted_code")  # and the one after that
    old = TABLES_SINCE["exercise_code"] - 1
    assert old + 3 == SCHEMA_VERSION, "a new migration step: undo it here too"
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(old),))
    db.commit()
    db.close()
    with Store(path) as store:
        store.save_exercise_code("d:x", "code", datetime.now(UTC))
        assert store.exercise_code("d:x") == "code"
        assert store.meta("schema_version") == str(SCHEMA_VERSION)


def test_the_home_screen_counts_new_exercises_under_their_own_limit(tmp_path):
    from gistquiz.overview import deck_counts

    text = "# D\n\n" + "".join(exercise_note(n) for n in range(5)) + "## Q\n\nA\n"
    deck = parse_deck(text, "d.md")
    scheduler = Scheduler(Settings(new_per_day=5, exercise_new_per_day=2))
    with Store(tmp_path / "db.sqlite3") as store:
        session = Session(deck.cards, store, scheduler)
        first = session.cards[next(k for k in session.queue.new if session.cards[k].kind is Kind.EXERCISE)]
        session.answer(first, Rating.GOOD)
        (counts,) = deck_counts([deck], store, scheduler, session.clock())
    assert counts.today_new == 2  # one more exercise (2 a day, 1 done) and the basic card
