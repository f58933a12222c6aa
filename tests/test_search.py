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
