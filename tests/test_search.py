"""Card search: query words against a card's text, ``tag:NAME`` against its tags; no Textual involved."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gistquiz.deck import parse_deck
from gistquiz.search import Query, index, parse, search

DECK = """\
# Search

## What does batch norm do to training?
id: bn
tags: Normalisation, training

It makes it converge faster.

## Parts of a CNN
id: parts
tags: cnn

A CNN stacks {{c1::convolution}} and {{c2::max-pooling}} layers.

## Capital of France?
id: paris
type: typed

Paris
"""


def found(query: str) -> list[str]:
    cards = parse_deck(DECK, "search.md").cards
    return [c.key for c in search(index(cards), query)]


def test_query_words_and_tags_are_told_apart():
    assert parse("Batch-Norm tag:Training tag:") == Query(("batch", "norm", "tag"), ("training",))


def test_every_word_must_appear_in_front_back_or_cloze_text():
    assert found("converge") == ["search:bn"]  # on the back
    assert found("batch faster") == ["search:bn"]  # one word on the front, one on the back
    assert found("batch paris") == []
    assert found("pooling") == ["search:parts/c1", "search:parts/c2"]  # the cloze text, in both siblings


def test_a_word_matches_part_of_a_word_ignoring_case_and_punctuation():
    assert found("CONV") == ["search:bn", "search:parts/c1", "search:parts/c2"]  # converge, convolution
    assert found("france?") == ["search:paris"]


def test_tags_match_whole_names_ignoring_case_and_combine_with_words():
    assert found("tag:normalisation") == ["search:bn"]
    assert found("tag:NORMALISATION tag:training") == ["search:bn"]
    assert found("tag:norm") == []  # a tag is matched whole, unlike a word
    assert found("tag:cnn layers") == ["search:parts/c1", "search:parts/c2"]
    assert found("tag:cnn batch") == []


def test_an_empty_query_finds_every_card_in_deck_order():
    assert found("") == found("   ") == ["search:bn", "search:parts/c1", "search:parts/c2", "search:paris"]


WORDS = st.sampled_from(["batch", "cnn", "paris", "layers", "tag:cnn", "tag:training", "of", "zzz", "tag:"])


@given(st.lists(WORDS, max_size=3), st.lists(WORDS, max_size=3))
def test_a_longer_query_finds_the_cards_both_halves_find(left, right):
    both = found(" ".join(left + right))
    assert both == [k for k in found(" ".join(left)) if k in set(found(" ".join(right)))]


STATE_DECK = "# S\n\n" + "".join(f"## Card {n}\nid: {n}\n\nAnswer {n}.\n\n" for n in "abcdef")


def test_is_filters_find_cards_by_state_as_anki_does(tmp_path):
    from datetime import UTC, datetime, timedelta

    from gistquiz.scheduler import Rating, Scheduler
    from gistquiz.session import Session
    from gistquiz.settings import Settings
    from gistquiz.status import status
    from gistquiz.store import Store

    t0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    cards = {c.key.split(":")[1]: c for c in parse_deck(STATE_DECK, "s.md").cards}
    with Store(tmp_path / "db.sqlite3") as store:
        scheduler = Scheduler(Settings(leech_threshold=1))
        now = t0
        s = Session(cards.values(), store, scheduler, clock=lambda: now)
        s.answer(cards["b"], Rating.GOOD)  # learning, due in 10 minutes
        for key in "cf":
            s.answer(cards[key], Rating.EASY)  # review, due in days
        s.suspend(cards["d"])
        s.bury(cards["e"])
        now = t0 + timedelta(days=40)
        s.answer(cards["f"], Rating.AGAIN)  # a lapse: a leech (suspended) at a threshold of 1
        states, day_end = store.states(), scheduler.next_day_start(now)

        def find(query: str) -> str:
            hits = search(index(cards.values()), query, lambda c: status(states.get(c.key), now, day_end))
            return "".join(c.key.split(":")[1] for c in hits)

        assert find("is:new") == "ade"
        assert find("is:learning") == find("is:learn") == "bf"
        assert find("is:review") == "c"
        assert find("is:due") == "bc"  # forty days on; f is due too, but suspended as a leech
        assert find("is:suspended") == "df" and find("is:leech") == "f"
        assert find("is:buried") == ""  # the bury ended with its study day
        assert find("is:new is:suspended") == "d" and find("card is:review") == "c"
        labels = {k: status(states.get(c.key), now, day_end).label for k, c in cards.items()}
        assert labels == {
            "a": "new",
            "b": "learning",
            "c": "review",
            "d": "suspended",
            "e": "new",
            "f": "suspended, leech",
        }
        assert status(states[cards["e"].key], t0, day_end).label == "buried"
    assert (
        parse("is:sleeping is:due").problem
        == "unknown is:sleeping (is: new, learning, review, due, suspended, buried, leech)"
    )
    assert search(index(cards.values()), "is:due") == []  # no states known: no card is in a state
