"""Training items from the review log, and the one clock they share with the scheduler."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs_rs_python as rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz.fsrs_items import LogAnswer, build_items, items_from_store, study_day_counter
from gistquiz.interop.apkg import RevlogRow
from gistquiz.interop.history import LEARN, MANUAL, REVIEW, from_revlog
from gistquiz.scheduler import CardState, Rating, Scheduler, State, study_day_number, study_days_between
from gistquiz.settings import Settings
from gistquiz.store import Store


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch):
    """Study days are local: pin the zone so the day start is 04:00 UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def answer(store: Store, key: str, rating: int, when: datetime, source: str = "review", deck: str = "d") -> None:
    sched = Scheduler()
    store.answer(key, deck, Rating(rating), when, lambda s: sched.review(s, Rating(rating), when), source=source)


def test_golden_log_gives_exactly_the_expected_items(store):
    # Card a: same-day answers, an answer at 03:00 (still the previous study day), one two hours later
    # across the 04:00 day start, and an undone answer.
    answer(store, "a", 3, at(2, 10))
    answer(store, "a", 3, at(2, 10, 10))
    answer(store, "a", 1, at(4, 3))
    answer(store, "a", 3, at(4, 5))
    answer(store, "a", 2, at(10, 9))
    assert store.undo_last(at(10, 9), keys=["a"]).rating == 2
    answer(store, "a", 3, at(10, 9, 1))
    # Card b: answered under an old key, re-linked after an edit, answered under the new key, then quizzed.
    answer(store, "b_old", 1, at(2, 11))
    answer(store, "b_old", 3, at(5, 11))
    store.relink("b_old", "b_new", "d", 0.9, at(6, 12), "fp")
    answer(store, "b_new", 3, at(8, 11))
    answer(store, "b_new", 3, at(9, 11), source="quiz")
    # Cards c and e come from Anki: c with a "set due date" entry (ease 0) and a same-day lapse, e with a
    # reset ("Forget": manual, ease 0, interval 0) that starts its history over.
    revlog = [
        RevlogRow(ms(at(1, 8)), 1, 3, 0, 5000, LEARN),
        RevlogRow(ms(at(1, 9)), 1, 0, 5, 0, MANUAL),
        RevlogRow(ms(at(3, 8)), 1, 3, 2, 4000, REVIEW),
        RevlogRow(ms(at(3, 9)), 1, 1, 0, 4000, REVIEW),
        RevlogRow(ms(at(6, 8)), 1, 3, 3, 4000, REVIEW),
        RevlogRow(ms(datetime(2026, 2, 20, 8, tzinfo=UTC)), 2, 3, 0, 3000, LEARN),
        RevlogRow(ms(datetime(2026, 2, 21, 8, tzinfo=UTC)), 2, 0, 0, 0, MANUAL),
        RevlogRow(ms(at(1, 8)), 2, 3, 0, 3000, LEARN),
        RevlogRow(ms(at(2, 8)), 2, 4, 1, 3000, REVIEW),
    ]
    keys = {(10, 0): ("c", "anki", "fc"), (20, 0): ("e", "anki", "fe")}
    history = from_revlog(revlog, {1: (10, 0, 2), 2: (20, 0, 2)}, keys, Scheduler(), sched_v1=False)
    assert store.import_reviews(history.cards) == ["c", "e"]

    items = [(it.key, it.at, it.reviews) for it in items_from_store(store, day_starts_at=4)]

    assert items == [
        ("e", at(2, 8), ((3, 0), (4, 1))),
        ("c", at(3, 8), ((3, 0), (3, 2))),
        ("a", at(4, 3), ((3, 0), (3, 0), (1, 1))),
        ("a", at(4, 5), ((3, 0), (3, 0), (1, 1), (3, 1))),
        ("b_new", at(5, 11), ((1, 0), (3, 3))),
        ("c", at(6, 8), ((3, 0), (3, 2), (1, 0), (3, 3))),
        ("b_new", at(8, 11), ((1, 0), (3, 3), (3, 3))),
        ("a", at(10, 9, 1), ((3, 0), (3, 0), (1, 1), (3, 1), (3, 6))),
    ]
    assert {it.deck for it in items_from_store(store, 4, decks=["anki"])} == {"anki"}


def test_only_undone_answers_give_no_items(store):
    answer(store, "a", 3, at(2, 10))
    answer(store, "a", 3, at(5, 10))
    store.undo_last(at(5, 10))
    store.undo_last(at(5, 10))
    assert items_from_store(store, 4) == []


def test_two_goods_across_the_day_start_are_a_day_apart_in_scheduling_and_fitting():
    """The issue's example: 4 h apart across 04:00. py-fsrs alone counts 0 whole days (short-term
    stability 2.31); the study-day clock counts 1 day, and the scheduler and fsrs-rs then agree (7.32)."""
    first, second = at(2, 2), at(2, 6)  # 02:00 is study day March 1; 06:00 is March 2
    sched = Scheduler(Settings(fuzz=False))
    card = sched.review(sched.review(CardState("k", "d"), Rating.GOOD, first), Rating.GOOD, second)

    raw = fsrs.Scheduler(enable_fuzzing=False)
    c, _ = raw.review_card(fsrs.Card(card_id=1, due=first), fsrs.Rating.Good, first)
    c, _ = raw.review_card(c, fsrs.Rating.Good, second)
    item = rs.FSRSItem([rs.FSRSReview(3, 0), rs.FSRSReview(3, study_days_between(first, second, 4))])
    memory = rs.FSRS(rs.DEFAULT_PARAMETERS).memory_state(item)

    assert study_days_between(first, second, 4) == 1
    assert c.stability == pytest.approx(2.31, abs=0.01)  # what py-fsrs's own clock gives
    assert memory.stability == pytest.approx(7.32, abs=0.01)
    assert card.stability == pytest.approx(memory.stability, rel=1e-4)
    assert card.difficulty == pytest.approx(memory.difficulty, rel=1e-4)


@st.composite
def histories(draw):
    """Ratings with gaps: minutes (learning steps, same day), hours (maybe across 04:00) or days."""
    n = draw(st.integers(1, 10))
    ratings = draw(st.lists(st.sampled_from([1, 2, 3, 4]), min_size=n, max_size=n))
    gaps = draw(
        st.lists(
            st.one_of(
                st.integers(1, 30).map(lambda m: timedelta(minutes=m)),
                st.integers(1, 23).map(lambda h: timedelta(hours=h)),
                st.integers(1, 400).map(lambda d: timedelta(days=d)),
            ),
            min_size=n,
            max_size=n,
        )
    )
    start = draw(st.integers(0, 23))
    return ratings, gaps, start


@settings(max_examples=100, deadline=None)
@given(histories())
def test_py_fsrs_and_fsrs_rs_agree_on_the_next_interval(history):
    """Same parameters, same history, the app's real learning steps, fuzz off: the interval py-fsrs gives
    (through the scheduler) is the one fsrs-rs gives from the item built from the log, within a day
    (float32 rounding in fsrs-rs)."""
    ratings, gaps, start = history
    sched = Scheduler(Settings(fuzz=False))
    t = datetime(2026, 3, 1, start, tzinfo=UTC)
    state = CardState("k", "d")
    log = []
    for rating, gap in zip(ratings, gaps, strict=True):
        before = state
        state = sched.review(state, Rating(rating), t)
        log.append(LogAnswer(len(log), "k", "d", rating, t, None, before.state, "review"))
        t += gap
    if state.state != State.REVIEW:
        return  # (re)learning steps are minutes: FSRS's day intervals do not apply
    pairs = [(log[0].rating, 0)] + [
        (b.rating, study_days_between(a.reviewed_at, b.reviewed_at, 4)) for a, b in zip(log, log[1:], strict=False)
    ]
    rs_state = rs.FSRS(rs.DEFAULT_PARAMETERS).memory_state(rs.FSRSItem([rs.FSRSReview(r, d) for r, d in pairs]))
    rs_interval = min(max(1, round(rs.FSRS(rs.DEFAULT_PARAMETERS).next_interval(rs_state.stability, 0.9, 3))), 36500)
    py_interval = (state.due - state.last_review).days
    assert abs(py_interval - rs_interval) <= 1
    # and the items module builds the same history from such a log
    items = build_items(log, {}, 4)
    if items:
        assert list(items[-1].reviews) == pairs[: len(items[-1].reviews)]


def test_study_days_follow_the_local_day_start(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # 03:00 and 05:00 on May 11 in Tokyo: either side of the 04:00 day start
        assert study_days_between(datetime(2026, 5, 10, 18, tzinfo=UTC), datetime(2026, 5, 10, 20, tzinfo=UTC), 4) == 1
        assert study_days_between(datetime(2026, 5, 10, 20, tzinfo=UTC), datetime(2026, 5, 11, 18, tzinfo=UTC), 4) == 0
    finally:
        os.environ["TZ"] = "UTC"
        time.tzset()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_the_fast_study_day_counter_agrees_with_the_scheduler_across_daylight_saving(zone, monkeypatch):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        count = study_day_counter(4)
        for start in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)):  # both switches
            for minute in range(0, 12 * 24 * 60, 11):
                t = start + timedelta(minutes=minute)
                assert count(t) == study_day_number(t, 4), t
    finally:
        os.environ["TZ"] = "UTC"
        time.tzset()
