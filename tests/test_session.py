"""A review session: queue order, daily limits, siblings, suspend, bury, undo, and rebuild from the log."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from gistquiz.deck import parse_deck
from gistquiz.grading import grade
from gistquiz.rebuild import rebuild, replay
from gistquiz.scheduler import Rating, Scheduler, State
from gistquiz.session import LEECH_NOTICE, Session, leech_notice
from gistquiz.settings import Settings
from gistquiz.store import Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


def deck(n: int = 5, extra: str = ""):
    text = "# D\n\n" + "".join(f"## Question {i}\n\nAnswer {i}\n\n" for i in range(n)) + extra
    d = parse_deck(text, "d.md", known_demos=set())
    assert d.errors == []
    return d.cards


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite3") as s:
        yield s


def session(cards, store, clock, **settings):
    return Session(cards, store, Scheduler(Settings(**settings)), clock=clock)


def test_new_cards_come_in_deck_order_and_learning_cards_come_back(store):
    cards, clock = deck(3), Clock(T0)
    s = session(cards, store, clock)
    assert s.counts().new == 3
    first = s.next()
    assert first.front == "Question 0"
    s.answer(first, Rating.AGAIN)  # due again in 1 minute
    assert s.next().front == "Question 1"
    clock.advance(minutes=2)
    assert s.next().front == "Question 0"  # the learning card is due: it comes first


def test_a_session_ends_and_resumes_with_the_due_learning_cards(store):
    cards, clock = deck(2), Clock(T0)
    s = session(cards, store, clock)
    for _ in range(2):
        s.answer(s.next(), Rating.GOOD)  # both now due in 10 minutes
    assert s.next() is not None  # learn-ahead: shown early when nothing else is left
    clock.advance(minutes=11)
    s2 = session(cards, store, clock)  # a new session reads the store
    assert s2.counts().learning == 2 and s2.counts().new == 0


def test_daily_new_card_limit_counts_cards_introduced_today(store):
    cards, clock = deck(10), Clock(T0)
    s = session(cards, store, clock, new_per_day=3)
    assert s.counts().new == 3
    s.answer(s.next(), Rating.EASY)
    s2 = session(cards, store, clock, new_per_day=3)
    assert s2.counts().new == 2
    clock.advance(days=1)
    assert session(cards, store, clock, new_per_day=3).counts().new == 3


def test_daily_review_limit(store):
    cards, clock = deck(6), Clock(T0)
    s = session(cards, store, clock)
    for _ in range(6):
        s.answer(s.next(), Rating.EASY)  # all graduate to review
    clock.advance(days=60)
    assert session(cards, store, clock, reviews_per_day=4).counts().review == 4


def test_siblings_of_a_card_answered_today_wait_until_tomorrow(store):
    cards = deck(0, "## Term\ntype: reversed\n\nDefinition\n\n## Cloze\n\nA {{c1::b}} c {{c2::d}}\n")
    clock = Clock(T0)
    s = session(cards, store, clock)
    assert s.counts().new == 2  # one card per note today
    s.answer(s.next(), Rating.GOOD)
    assert s.counts().new == 1
    clock.advance(days=1)
    s2 = session(cards, store, clock)
    assert [k.rsplit("/", 1)[-1] for k in s2.queue.new] == ["rev", "c1"]


def test_suspend_and_bury_take_a_card_out_of_the_queue(store):
    cards, clock = deck(3), Clock(T0)
    s = session(cards, store, clock)
    s.suspend(s.next())
    s.bury(s.next())
    assert s.counts().new == 1
    assert session(cards, store, clock).counts().new == 1
    clock.advance(days=1)
    assert session(cards, store, clock).counts().new == 2  # buried comes back, suspended does not


def test_undo_shows_the_card_again_with_its_old_state(store):
    cards, clock = deck(2), Clock(T0)
    s = session(cards, store, clock)
    card = s.next()
    s.answer(card, Rating.GOOD)
    undone = s.undo()
    assert undone.card == card and undone.message == "Undid the answer (Good)."
    assert s.next() == card and store.state(card.key).state == State.NEW
    assert s.undo() is None


def test_undo_takes_back_the_newest_action_of_this_session_whatever_it_was(store):
    cards, clock = deck(5), Clock(T0)
    s = session(cards, store, clock)
    answered = []
    for _ in range(3):
        answered.append(s.next())
        s.answer(answered[-1], Rating.GOOD)
    suspended = s.next()
    s.suspend(suspended)
    buried = s.next()
    s.bury(buried)
    other = session(cards, store, clock)  # another window's actions are not this session's to undo
    other.suspend(cards[4])
    assert store.state(suspended.key).suspended and store.state(buried.key).buried_until is not None
    steps = [(u.message, u.card) for u in iter(s.undo, None)]
    assert [m for m, _ in steps] == ["Undid the bury.", "Undid the suspend."] + ["Undid the answer (Good)."] * 3
    assert [c for _, c in steps] == [buried, suspended, *reversed(answered)]
    assert not store.state(suspended.key).suspended and store.state(buried.key).buried_until is None
    assert store.reviews() == [] and store.state(cards[4].key).suspended
    assert s.counts().new == 4 and s.next() == answered[0]  # all back in the queue but the other's


def test_a_suspended_card_is_unsuspended_in_place_and_stays_out_of_every_due_queue(store):
    cards, clock = deck(2), Clock(T0)
    s = session(cards, store, clock)
    card = s.next()
    s.answer(card, Rating.EASY)  # a review card, due in days
    s.suspend(card)
    assert s.suspend(card) is None  # once only: already suspended
    clock.advance(days=60)
    s2 = session(cards, store, clock)
    assert card.key not in s2.queue.review and s2.counts().total == 1
    s2.bury(s2.next())
    assert session(cards, store, clock).counts().total == 0  # suspended and buried: nothing due
    s2.current = card  # opened from Browse
    assert s2.unsuspend(card).action == "unsuspend" and s2.current == card
    assert card.key in session(cards, store, clock).queue.review


def test_rebuild_with_nothing_changed_reproduces_the_stored_state_exactly(store):
    cards, clock = deck(20), Clock(T0)
    rng = random.Random(7)
    for day in range(40):
        s = session(cards, store, clock)
        while (card := s.next()) is not None:
            s.answer(card, Rating(rng.choice([1, 2, 3, 3, 3, 4])))
            if rng.random() < 0.05:
                s.undo()
            clock.advance(seconds=rng.randint(5, 300))
        clock.t = T0 + timedelta(days=day + 1)
    stored = store.states()
    # 155 reps: the study-day clock counts each next day's session (23 h 55 m later) as a day elapsed
    assert sum(st.reps for st in stored.values()) > 140
    assert any(st.state == State.REVIEW and (st.due - st.last_review).days > 5 for st in stored.values())
    result = rebuild(store, Scheduler())
    assert result.changed == []
    assert replay(store, Scheduler()) == stored


def test_rebuild_after_a_retention_change_reschedules(store):
    cards, clock = deck(5), Clock(T0)
    for day in range(10):
        s = session(cards, store, clock)
        while (card := s.next()) is not None:
            s.answer(card, Rating.GOOD)
        clock.t = T0 + timedelta(days=day + 1)
    before = store.states()
    result = rebuild(store, Scheduler(Settings(desired_retention=0.8)))
    assert result.changed
    after = store.states()
    assert all(after[k].due >= before[k].due for k in result.changed)  # lower retention, longer intervals


def test_quiz_answers_leave_the_schedule_alone_by_default(store):
    cards, clock = deck(1), Clock(T0)
    s = session(cards, store, clock)
    assert s.answer_quiz(cards[0], grade(cards[0], "Answer 0")) is None
    assert store.reviews() == [] and store.state(cards[0].key) is None


def test_a_quiz_answer_counts_as_good_or_again_when_the_setting_says_so(store, tmp_path):
    cards, clock = deck(2), Clock(T0)
    s = session(cards, store, clock, quiz_updates_schedule=True)
    right = s.answer_quiz(cards[0], grade(cards[0], "answer 0"))
    wrong = s.answer_quiz(cards[1], grade(cards[1], "Answer 7"))
    assert (right.rating, right.source) == (Rating.GOOD, "quiz")
    assert (wrong.rating, wrong.source) == (Rating.AGAIN, "quiz")
    assert [(e.card_key, e.rating) for e in store.reviews()] == [(cards[0].key, 3), (cards[1].key, 1)]
    # scheduled exactly as a review with that rating would be
    with Store(tmp_path / "reference.sqlite3") as ref:
        r = session(cards, ref, Clock(T0))
        assert r.answer(cards[0], Rating.GOOD).after == right.after
        assert r.answer(cards[1], Rating.AGAIN).after == wrong.after


def test_the_leech_notice_comes_once_with_the_answer_that_makes_a_leech(store):
    (card,), clock = deck(1), Clock(T0)
    s = session([card], store, clock, leech_threshold=1)
    entries = []
    while store.state(card.key) is None or store.state(card.key).state != State.REVIEW:
        entries.append(s.answer(s.next(), Rating.GOOD))
        clock.advance(minutes=11)
    assert all(leech_notice(e) is None for e in entries)
    clock.advance(days=60)
    s.refresh()
    lapse = s.answer(s.next(), Rating.AGAIN)  # the first lapse reaches the threshold of 1
    assert lapse.after.leech and lapse.after.suspended
    assert leech_notice(lapse) == LEECH_NOTICE
    s.cram()
    assert leech_notice(s.answer(s.next(), Rating.AGAIN)) is None  # already a leech: said once


def test_one_answer_per_showing_two_tabs_on_one_card_record_it_once(store):
    from gistquiz.errors import AnsweredElsewhere

    cards, clock = deck(2), Clock(T0)
    tab1, tab2 = session(cards, store, clock), session(cards, store, clock)
    card1, card2 = tab1.next(), tab2.next()
    assert card1.key == card2.key
    shown1, shown2 = tab1.state(card1), tab2.state(card2)  # both tabs show the new card
    tab1.answer(card1, Rating.GOOD, shown=shown1)
    clock.advance(seconds=5)
    with pytest.raises(AnsweredElsewhere):
        tab2.answer(card2, Rating.EASY, shown=shown2)
    assert [r.rating for r in store.reviews()] == [Rating.GOOD]  # the schedule builds on one answer only
    assert store.state(card1.key).reps == 1
    assert tab2.next().key != card1.key  # the second tab moves on
    # Shown again in its new state, the card can be answered again.
    clock.advance(minutes=11)
    tab3 = session(cards, store, clock)
    again = next(c for c in cards if c.key == card1.key)
    tab3.answer(again, Rating.GOOD, shown=tab3.state(again))
    assert store.state(card1.key).reps == 2


def test_rebuild_replays_flags_in_their_place_among_the_answers(store):
    cards, clock = deck(3), Clock(T0)
    s = session(cards, store, clock, leech_threshold=1)
    leech, buried, other = cards
    s.answer(leech, Rating.EASY)
    s.bury(buried)
    s.answer(buried, Rating.GOOD)  # an answer clears the bury before it (as when crammed)
    s.suspend(other)
    clock.advance(days=30)
    s.answer(leech, Rating.AGAIN)  # a lapse: a leech at 1, and suspended
    s.unsuspend(leech)
    clock.advance(days=1)
    s.answer(leech, Rating.GOOD)
    clock.advance(days=30)
    s.answer(leech, Rating.AGAIN)  # lapses again after the unsuspend: a leech again
    state = store.state(leech.key)
    assert state.leech and state.suspended and store.state(buried.key).buried_until is None
    assert replay(store, Scheduler(Settings(leech_threshold=1))) == store.states()
    assert rebuild(store, Scheduler(Settings(leech_threshold=1))).changed == []


def test_a_review_answered_takes_its_due_siblings_out_of_todays_queue(store):
    from gistquiz.scheduler import CardState

    cards = deck(2, "## Term\ntype: reversed\n\nDefinition\n\n## Cloze\n\nA {{c1::b}} c {{c2::d}} e {{c3::f}}\n")
    due = [CardState(c.key, c.deck, State.REVIEW, None, 5.0, 5.0, T0, T0 - timedelta(days=5), 2) for c in cards]
    store.replace_states((s, "") for s in due)
    s = session(cards, store, Clock(T0 + timedelta(hours=1)))
    assert len(s.queue.review) == 7
    by_slot = {c.key.rpartition("/")[2] if "/" in c.key else c.front: c for c in cards}
    s.answer(by_slot["rev"], Rating.GOOD)  # the reversed side: the front side waits
    s.answer(by_slot["c2"], Rating.GOOD)  # one deletion: the two others wait
    assert sorted(s.queue.review) == sorted(c.key for c in cards if c.front.startswith("Question"))
