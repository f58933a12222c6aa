"""Review state on disk: committed before the next card, kept through SIGKILL, shared by two processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from gistquiz import store as store_module
from gistquiz.scheduler import CardState, Rating, Scheduler, State
from gistquiz.store import ACTION_SINCE, SCHEMA_VERSION, Store, StoreError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


SCHED = Scheduler()


def answer(store: Store, key: str, rating: Rating, now: datetime, sched: Scheduler = SCHED):
    return store.answer(key, "d", rating, now, lambda s: sched.review(s, rating, now), duration_ms=1200)


def test_an_answer_is_on_disk_when_answer_returns(store, tmp_path):
    entry = answer(store, "d:a", Rating.GOOD, T0)
    other = sqlite3.connect(tmp_path / "db.sqlite3")  # a second connection sees it: it is committed
    (n,) = other.execute("SELECT COUNT(*) FROM reviews WHERE id=?", (entry.id,)).fetchone()
    state = other.execute("SELECT state, reps FROM cards WHERE key='d:a'").fetchone()
    assert n == 1 and state == (State.LEARNING, 1)
    assert store.state("d:a") == entry.after


def test_log_keeps_rating_time_duration_and_both_states(store):
    first = answer(store, "d:a", Rating.GOOD, T0)
    second = answer(store, "d:a", Rating.GOOD, T0 + timedelta(minutes=10))
    log = store.reviews()
    assert [(e.rating, e.reviewed_at, e.duration_ms) for e in log] == [
        (3, T0, 1200),
        (3, T0 + timedelta(minutes=10), 1200),
    ]
    assert log[0].state_before == State.NEW and log[0].after == first.after
    assert log[1].before == first.after and log[1].after == second.after


def test_undo_restores_the_state_and_appends_to_the_log(store):
    good = answer(store, "d:a", Rating.GOOD, T0)
    before = store.state("d:a")
    again = answer(store, "d:a", Rating.AGAIN, T0 + timedelta(minutes=10))
    undone = store.undo(again.id, T0 + timedelta(minutes=11))
    assert undone is not None and undone.rating == Rating.AGAIN
    assert store.state("d:a") == before
    assert [e.rating for e in store.reviews()] == [3]  # the undone answer no longer counts
    all_rows = store.reviews(include_undone=True)
    assert [e.rating for e in all_rows] == [3, 1, 0] and all_rows[2].undoes == all_rows[1].id
    assert store.undo(good.id, T0 + timedelta(minutes=12)).rating == Rating.GOOD
    assert store.state("d:a").state == State.NEW
    assert store.undo(good.id, T0 + timedelta(minutes=13)) is None  # once only
    assert store.undo(all_rows[2].id, T0 + timedelta(minutes=13)) is None  # an undo is not undone


def test_undo_keeps_a_suspend_made_after_the_answer(store):
    entry = answer(store, "d:a", Rating.GOOD, T0)
    store.flag("d:a", "d", "suspend", T0)
    store.undo(entry.id, T0 + timedelta(minutes=1))
    assert store.state("d:a").suspended and store.state("d:a").state == State.NEW


def test_each_flag_action_is_a_row_of_the_log_and_undoing_it_restores_only_that_flag(store):
    answer(store, "d:b", Rating.GOOD, T0)
    scheduled = store.state("d:b")
    suspend = store.flag("d:b", "d", "suspend", T0)
    assert suspend.action == "suspend" and suspend.before == scheduled and store.state("d:b").suspended
    assert store.flag("d:b", "d", "suspend", T0) is None  # already suspended: nothing written
    bury = store.flag("d:b", "d", "bury", T0, until=T0 + timedelta(days=1))
    assert store.state("d:b").buried_until == T0 + timedelta(days=1)
    unsuspend = store.flag("d:b", "d", "unsuspend", T0)
    assert not store.state("d:b").suspended
    log = store.reviews(include_undone=True)
    assert [(e.action, e.rating) for e in log] == [("answer", 3), ("suspend", 0), ("bury", 0), ("unsuspend", 0)]
    assert [e.action for e in store.reviews()] == ["answer"]  # flags are not answers: stats never count them
    assert [e.action for e in store.reviews(with_flags=True)] == ["answer", "suspend", "bury", "unsuspend"]
    assert store.undo(bury.id, T0).action == "bury"  # out of order: only the bury goes
    assert store.state("d:b") == scheduled  # unsuspended (kept), unburied, the schedule untouched
    assert store.undo(bury.id, T0) is None  # once only
    assert store.undo(unsuspend.id, T0).action == "unsuspend" and store.state("d:b").suspended
    assert store.undo(suspend.id, T0) is not None and store.state("d:b") == scheduled
    assert [e.action for e in store.reviews(with_flags=True)] == ["answer"]
    undo_row = store.reviews(include_undone=True)[-1]
    assert undo_row.action == "undo" and undo_row.undoes == suspend.id and undo_row.rating == 0


def test_unsuspending_a_leech_clears_the_mark_and_undoing_it_puts_both_back(store):
    sched = Scheduler(SCHED.settings._replace(leech_threshold=1))
    answer(store, "d:l", Rating.EASY, T0, sched)  # straight to review
    answer(store, "d:l", Rating.AGAIN, T0 + timedelta(days=9), sched)  # a lapse: one is a leech here
    assert store.state("d:l").leech and store.state("d:l").suspended
    entry = store.flag("d:l", "d", "unsuspend", T0 + timedelta(days=9))
    assert not store.state("d:l").leech and not store.state("d:l").suspended
    store.undo(entry.id, T0 + timedelta(days=9))
    assert store.state("d:l").leech and store.state("d:l").suspended


def test_newer_schema_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer gistquiz"):
        Store(path)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the review database"):
        Store(path)


def test_migration_steps_run_in_order_once_each(tmp_path, monkeypatch):
    old, fresh = tmp_path / "old.sqlite3", tmp_path / "fresh.sqlite3"
    Store(old).close()  # a database at today's version
    real = store_module._MIGRATIONS  # the real steps come first; two test steps follow them
    extra = [["CREATE TABLE extra (x)"], ["INSERT INTO extra VALUES (7)"]]
    monkeypatch.setattr(store_module, "_MIGRATIONS", real + extra)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3 + len(real))
    for path in (old, fresh, old):  # the second opening of ``old`` must not run a step again
        Store(path).close()
    for path in (old, fresh):
        db = sqlite3.connect(path)
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(3 + len(real)),)
        assert db.execute("SELECT x FROM extra").fetchall() == [(7,)]
        db.close()


def test_a_failing_migration_step_keeps_the_steps_before_it_and_rolls_itself_back(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    real = store_module._MIGRATIONS
    steps = [["CREATE TABLE extra (x)"], ["INSERT INTO extra VALUES (7)", "INSERT INTO missing VALUES (1)"]]
    monkeypatch.setattr(store_module, "_MIGRATIONS", real + steps)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3 + len(real))
    with pytest.raises(StoreError, match="no such table: missing"):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(2 + len(real)),)
    assert db.execute("SELECT x FROM extra").fetchall() == []
    db.close()


def test_meta_pairs_round_trip_and_outlive_the_connection(tmp_path):
    path = tmp_path / "db.sqlite3"
    with Store(path) as s:
        assert s.meta("relink:d") is None
        s.set_meta("relink:d", "abc")
        s.set_meta("relink:d", "def")
    with Store(path) as s:
        assert s.meta("relink:d") == "def"
        assert s.meta("schema_version") == str(SCHEMA_VERSION)


def _make_review_card(state: CardState) -> CardState:
    return state._replace(state=State.REVIEW)


def test_today_totals_count_the_answers_that_stand(store):
    store.answer("d:r", "d", Rating.GOOD, T0 - timedelta(days=2), _make_review_card)  # before today
    answer(store, "d:a", Rating.GOOD, T0)  # a new card: new today
    answer(store, "d:a", Rating.GOOD, T0 + timedelta(minutes=1))  # a learning card: neither count
    store.answer("d:r", "d", Rating.GOOD, T0 + timedelta(minutes=2), _make_review_card, duration_ms=1200)  # review
    store.answer("d:q", "d", Rating.AGAIN, T0, lambda s: s, duration_ms=500, source="quiz")  # quiz: totals only
    undone = answer(store, "d:b", Rating.AGAIN, T0 + timedelta(minutes=3))
    store.undo(undone.id, T0 + timedelta(minutes=4))  # takes back d:b: it counts nowhere, nor does the undo row
    assert store.answer_totals(T0) == (4, 3 * 1200 + 500)
    assert store.answer_totals(T0 + timedelta(hours=1)) == (0, 0)
    assert store.today_counts(T0) == (1, 1)
    assert store.today_counts(T0, {"d:r", "d:b"}) == (0, 1)
    groups = [{"d:a"}, {"d:r", "d:q"}, set(), {"d:a", "d:r"}]
    assert store.today_counts_each(T0, groups) == [(1, 0), (0, 1), (0, 0), (1, 1)]
    assert store.today_counts_each(T0, groups) == [store.today_counts(T0, keys) for keys in groups]


# A child process answering cards as fast as it can and printing each committed review id.
ANSWER_LOOP = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from gistquiz.scheduler import Rating, Scheduler
    from gistquiz.store import Store

    store, sched = Store(__import__("pathlib").Path(sys.argv[1])), Scheduler()
    prefix, count = sys.argv[2], int(sys.argv[3])
    t = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(count):
        now = t + timedelta(seconds=i)
        rating = Rating(1 + i % 4)
        e = store.answer(f"d:{prefix}{i % 50}", "d", rating, now, lambda s: sched.review(s, rating, now))
        print(e.id, flush=True)
    """
)


def spawn(db, prefix, count):
    return subprocess.Popen(
        [sys.executable, "-c", ANSWER_LOOP, str(db), prefix, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_session_loses_no_committed_answer(tmp_path):
    db = tmp_path / "db.sqlite3"
    proc = spawn(db, "k", 100_000)
    committed = []
    assert proc.stdout is not None
    for line in proc.stdout:
        committed.append(int(line))
        if len(committed) == 200:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    committed += [int(x) for x in proc.stdout.read().split()]  # ids printed before the kill landed
    with Store(db) as store:
        assert store.integrity_ok()
        on_disk = {e.id for e in store.reviews()}
        assert set(committed) <= on_disk
        # and the card table agrees with the log: each card's reps equals its answers
        counts: dict[str, int] = {}
        for e in store.reviews():
            counts[e.card_key] = counts.get(e.card_key, 0) + 1
        assert {k: s.reps for k, s in store.states().items()} == counts


def test_two_processes_answering_at_once_lose_nothing(tmp_path):
    db = tmp_path / "db.sqlite3"
    Store(db).close()
    procs = [spawn(db, prefix, 150) for prefix in ("a", "b")]
    ids = [[int(x) for x in p.communicate(timeout=120)[0].split()] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(ids[0]) == len(ids[1]) == 150
    with Store(db) as store:
        log = store.reviews()
        assert len(log) == 300 and {e.id for e in log} == set(ids[0]) | set(ids[1])
        assert sum(s.reps for s in store.states().values()) == 300
        assert store.integrity_ok()


def test_concurrent_answers_to_the_same_card_are_serialised(tmp_path):
    """Both processes answer the same 50 cards: every answer starts from the state the other committed."""
    db = tmp_path / "db.sqlite3"
    Store(db).close()
    procs = [spawn(db, "same", 100) for _ in range(2)]
    for p in procs:
        p.communicate(timeout=120)
    with Store(db) as store:
        log = store.reviews()
        assert len(log) == 200
        by_card: dict[str, list] = {}
        for e in log:
            by_card.setdefault(e.card_key, []).append(e)
        for entries in by_card.values():
            for prev, cur in zip(entries, entries[1:], strict=False):
                assert cur.before == prev.after  # no lost update
            assert store.state(entries[0].card_key) == entries[-1].after


def test_states_round_trip_exactly(store):
    sched = Scheduler()
    t = T0
    for r in [3, 3, 1, 3, 4]:
        e = answer(store, "d:x", Rating(r), t, sched)
        t = e.after.due
    stored = store.state("d:x")
    assert stored == e.after
    assert CardState.from_dict(json.loads(json.dumps(stored.to_dict()))) == stored


def test_the_log_migration_logs_the_flags_set_before_it_so_rebuild_keeps_them(tmp_path):
    from gistquiz.rebuild import rebuild

    path = tmp_path / "db.sqlite3"
    with Store(path) as old:
        answer(old, "d:s", Rating.GOOD, T0)
        answer(old, "d:b", Rating.GOOD, T0)
        old.undo(answer(old, "d:u", Rating.AGAIN, T0).id, T0)
    db = sqlite3.connect(path)  # back to the schema before the log's action column: flags on the cards only
    db.execute("UPDATE cards SET suspended=1 WHERE key='d:s'")
    db.execute("UPDATE cards SET buried_until=? WHERE key='d:b'", ((T0 + timedelta(days=1)).isoformat(),))
    db.execute("ALTER TABLE reviews DROP COLUMN action")
    db.execute("DROP TABLE trusted_code")  # and every step after it
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(ACTION_SINCE - 1),))
    db.commit()
    db.close()
    with Store(path) as store:
        states = store.states()
        log = store.reviews(include_undone=True)
        assert [(e.card_key, e.action) for e in log] == [
            ("d:s", "answer"),
            ("d:b", "answer"),
            ("d:u", "answer"),
            ("d:u", "undo"),
            ("d:s", "suspend"),
            ("d:b", "bury"),
        ]
        assert log[4].source == "migration" and log[4].after == states["d:s"] and not log[4].before.suspended
        assert log[5].after == states["d:b"] and log[5].before.buried_until is None
        assert rebuild(store, SCHED).changed == []  # the flags come back from the log
        assert store.state("d:s").suspended and store.state("d:b").buried_until == T0 + timedelta(days=1)


def test_rebuild_replays_suspends_and_unsuspends_in_log_order(store):
    from gistquiz.rebuild import replay

    answer(store, "d:a", Rating.GOOD, T0)
    store.flag("d:a", "d", "suspend", T0)
    store.flag("d:b", "d", "suspend", T0)  # never answered: its state is only flags
    store.flag("d:b", "d", "unsuspend", T0)
    store.flag("d:c", "d", "bury", T0, until=T0 + timedelta(days=1))
    undone = store.flag("d:c", "d", "unbury", T0)
    store.undo(undone.id, T0)
    assert replay(store, SCHED) == store.states()
    assert replay(store, SCHED)["d:a"].suspended and not replay(store, SCHED)["d:b"].suspended


def test_imported_suspends_and_burys_are_logged_so_a_rebuild_keeps_them(store):
    from gistquiz.rebuild import replay

    answered = SCHED.review(CardState("d:a", "d"), Rating.GOOD, T0)
    log = [(3, T0, None, CardState("d:a", "d"), answered)]
    never = CardState("d:n", "d", suspended=True)  # suspended in Anki, never answered
    buried = CardState("d:b", "d", buried_until=T0 + timedelta(days=1))
    store.import_reviews([(answered._replace(suspended=True), "", log), (never, "", []), (buried, "", [])])
    assert [(e.card_key, e.action) for e in store.reviews(with_flags=True)] == [
        ("d:a", "answer"),
        ("d:a", "suspend"),
        ("d:n", "suspend"),
        ("d:b", "bury"),
    ]
    assert replay(store, SCHED) == store.states()
