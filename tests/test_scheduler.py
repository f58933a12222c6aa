"""Scheduling: FSRS-6 through py-fsrs, with a seeded fuzz, leeches and the user's local day."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from gistquiz.scheduler import CardState, Rating, Scheduler, State, format_interval
from gistquiz.settings import Settings, UserError, load, validate

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def answer_sequence(sched: Scheduler, ratings, start=T0, gap=None):
    s, t = CardState("d:1", "d"), start
    for r in ratings:
        s = sched.review(s, Rating(r), t)
        t = s.due if gap is None else t + gap
    return s, t


def test_without_fuzz_states_equal_py_fsrs_exactly():
    ours = Scheduler(Settings(fuzz=False))
    ref = fsrs.Scheduler(enable_fuzzing=False)
    ratings = [3, 3, 3, 1, 3, 2, 4, 3, 3, 1, 1, 3]
    s, card, t = CardState("d:1", "d"), fsrs.Card(card_id=0, due=T0), T0
    for r in ratings:
        s = ours.review(s, Rating(r), t)
        card, _ = ref.review_card(card, fsrs.Rating(r), t)
        assert (int(s.state), s.step, s.stability, s.difficulty, s.due) == (
            int(card.state),
            card.step,
            card.stability,
            card.difficulty,
            card.due,
        )
        t = card.due + timedelta(hours=1)


def test_default_parameters_are_fsrs6():
    assert len(DEFAULT_PARAMETERS) == 21
    assert Scheduler()._fsrs.parameters == tuple(DEFAULT_PARAMETERS)
    assert Scheduler()._fsrs.desired_retention == 0.9


def test_new_card_follows_the_learning_steps():
    sched = Scheduler()
    new = CardState("d:1", "d")
    assert sched.review(new, Rating.AGAIN, T0).due - T0 == timedelta(minutes=1)
    good = sched.review(new, Rating.GOOD, T0)
    assert good.state == State.LEARNING and good.due - T0 == timedelta(minutes=10)
    graduated = sched.review(good, Rating.GOOD, good.due)
    assert graduated.state == State.REVIEW and graduated.due - good.due >= timedelta(days=1)
    easy = sched.review(new, Rating.EASY, T0)
    assert easy.state == State.REVIEW


def test_preview_gives_one_interval_per_rating_in_increasing_order():
    sched = Scheduler(Settings(fuzz=False))
    card, _ = answer_sequence(sched, [3, 3, 3])
    preview = sched.preview(card, card.due)
    assert list(preview) == list(Rating)
    assert preview[Rating.AGAIN] < preview[Rating.HARD] < preview[Rating.GOOD] < preview[Rating.EASY]


def test_fuzz_equals_py_fsrs_fuzz_drawn_from_the_seeded_generator(monkeypatch):
    """Our fuzz is py-fsrs's own, fed a random number seeded by the review instead of the global one."""
    import random

    import fsrs.scheduler

    fuzzed = Scheduler(Settings(fuzz=True))
    plain = Scheduler(Settings(fuzz=False))
    card, t = answer_sequence(plain, [3, 3, 3, 3])
    seen = set()
    for minute in range(60):
        when = t + timedelta(minutes=minute)
        a = fuzzed.review(card, Rating.GOOD, when)
        assert a == fuzzed.review(card, Rating.GOOD, when)  # same review, same fuzz
        seeded = random.Random(f"{when.isoformat()}:{card.reps}")
        monkeypatch.setattr(fsrs.scheduler, "random", seeded.random)
        ref = fsrs.Scheduler(enable_fuzzing=True)
        unfuzzed = plain.review(card, Rating.GOOD, when).due - when
        assert a.due - when == ref._get_fuzzed_interval(interval=unfuzzed)
        seen.add(a.due - when)
    assert len(seen) > 1  # it does spread


def test_lapses_are_counted_and_the_eighth_makes_a_suspended_leech():
    sched = Scheduler(Settings(fuzz=False))
    s, t = answer_sequence(sched, [4])  # straight to review
    lapses = 0
    while not s.leech:
        assert s.state == State.REVIEW
        s = sched.review(s, Rating.AGAIN, s.due)
        lapses += 1
        assert s.lapses == lapses
        s = sched.review(s, Rating.GOOD, s.due)  # relearn
    assert lapses == 8 and s.suspended


def test_leech_threshold_is_a_setting():
    sched = Scheduler(Settings(fuzz=False, leech_threshold=2))
    s, _ = answer_sequence(sched, [4, 1, 3, 1])
    assert s.lapses == 2 and s.leech and s.suspended


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="UTC"):
        Scheduler().review(CardState("d:1", "d"), Rating.GOOD, datetime(2026, 1, 1))


def test_card_state_round_trips_through_a_dict():
    s, _ = answer_sequence(Scheduler(), [3, 3, 1])
    s = s._replace(suspended=True, buried_until=T0)
    assert CardState.from_dict(s.to_dict()) == s


@pytest.fixture
def tz(monkeypatch):
    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_tz
    os.environ.pop("TZ", None)
    time.tzset()


def test_study_day_starts_at_four_in_the_morning_local_time(tz):
    tz("Asia/Tokyo")  # UTC+9, no daylight saving
    sched = Scheduler()
    at_3am = datetime(2026, 5, 10, 18, 0, tzinfo=UTC)  # 03:00 on May 11 in Tokyo
    at_5am = datetime(2026, 5, 10, 20, 0, tzinfo=UTC)  # 05:00 on May 11 in Tokyo
    assert sched.study_day(at_3am) == "2026-05-10"
    assert sched.study_day(at_5am) == "2026-05-11"
    assert sched.day_start(at_5am) == datetime(2026, 5, 10, 19, 0, tzinfo=UTC)
    assert sched.day_start(at_3am) == datetime(2026, 5, 9, 19, 0, tzinfo=UTC)
    assert Scheduler(Settings(day_starts_at=0)).study_day(at_3am) == "2026-05-11"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=4), "4d"),
        (timedelta(days=64), "2.1mo"),
        (timedelta(days=548), "1.5y"),
    ],
)
def test_intervals_are_shown_the_way_anki_shows_them(delta, text):
    assert format_interval(delta) == text


def test_settings_file_is_validated_with_one_line_errors(tmp_path):
    path = tmp_path / "settings.toml"
    assert load(path) == Settings()
    path.write_text("desired_retention = 0.85\nnew_per_day = 5\nlearning_steps = ['30s', '5m', '1h']\n")
    s = load(path)
    assert s.desired_retention == 0.85 and s.new_per_day == 5
    assert s.steps("learning_steps") == (timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1))
    for bad, message in [
        ("desired_retention = 1.5\n", "between"),
        ("new_per_day = 'many'\n", "whole number"),
        ("learning_steps = ['10 parsecs']\n", "bad step"),
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("desired_retention = \n", str(path)),
    ]:
        path.write_text(bad)
        with pytest.raises(UserError, match=message):
            load(path)
    with pytest.raises(UserError):
        validate({"fuzz": "yes"})
