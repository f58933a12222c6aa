"""Grading answers: lenient typed answers, cloze blanks, chosen options, and the rating a grade earns."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz import grading
from gistquiz.deck import Kind, parse_deck
from gistquiz.grading import AnswerKind, Expected, edit_distance, grade, grade_typed
from gistquiz.scheduler import Rating


@pytest.mark.parametrize(
    ("given_", "accepted", "ok"),
    [
        ("Paris", ["Paris"], True),
        ("  paris. ", ["Paris"], True),  # case, spaces, a full stop
        ("pariss", ["Paris"], True),  # one typo in a five-letter word
        ("Pairs", ["Paris"], True),  # two swapped letters are one typo
        ("London", ["Paris"], False),
        ("cat", ["car"], False),  # no typos forgiven in three letters
        ("batch norm", ["batch-norm"], True),
        ("internal covariate shfit", ["Internal covariate shift"], True),
        ("internal covariance shift", ["Internal covariate shift"], False),  # a different word, not a typo
        ("-log p", ["log p"], False),  # a sign is never a typo
        ("1e3", ["1e-3"], False),
        ("1/(1 - p)", ["1/(1−p)"], True),  # unicode minus, spacing around operators
        ("bleu score", ["BLEU", "BLEU score"], True),  # any accepted answer
        ("café", ["cafe"], True),
        ("", ["Paris"], False),
    ],
)
def test_typed_answers_are_graded_leniently_but_not_loosely(given_, accepted, ok):
    assert grade_typed(given_, accepted).correct is ok


def test_wrong_answer_comes_with_a_character_diff():
    g = grade_typed("Londn", ["London"])
    assert g.correct  # one typo in six letters
    g = grade_typed("Berlin", ["London"])
    assert not g.correct and g.expected == "London"
    rebuilt_given = "".join(t for op, t in g.diff if op != "insert")
    rebuilt_expected = "".join(t for op, t in g.diff if op != "delete")
    assert (rebuilt_given, rebuilt_expected) == ("Berlin", "London")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_a_metric_bounded_by_levenshtein(a, b):
    import difflib

    d = edit_distance(a, b)
    assert d == edit_distance(b, a)
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    # never more than plain insert/delete edits
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert d <= sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


CARDS = """\
# D

## Capital of France?
type: typed

Paris | Paris, France

## Parts

A CNN stacks {{c1::convolution}} and {{c1::max-pooling}} layers, then {{c2::a dense layer}}.

## Which layers have no weights?

- [x] Max-pooling
- [ ] Dense
- [x] ReLU

## What does dropout do?

It randomly drops units.
"""


def card(kind: Kind, n: int = 0):
    d = parse_deck(CARDS, "d.md", known_demos=set())
    assert d.errors == []
    return [c for c in d.cards if c.kind is kind][n]


def test_a_typed_card_accepts_any_of_its_answers():
    c = card(Kind.TYPED)
    assert grade(c, "paris, france").correct and grade(c, "Pariss").correct
    assert not grade(c, "Lyon").correct


def test_a_cloze_card_takes_its_blanks_split_on_slashes_in_order():
    c = card(Kind.CLOZE)  # c1: two blanks hidden together
    g = grade(c, " convolution /max pooling ")
    assert g.correct and not g.exact and g.expected == "convolution / max-pooling"
    assert grade(c, "convolution / max-pooling").exact
    assert not grade(c, "max-pooling / convolution").correct  # each blank against its own word
    assert not grade(c, "convolution").correct  # a blank left out
    assert not grade(c, "convolution / max-pooling / dense").correct


def test_a_choice_card_is_right_only_with_exactly_its_right_options():
    c = card(Kind.CHOICE)  # options in the card's order: 0 and 2 are right
    g = grade(c, {0, 2})
    assert g.correct and g.exact and g.expected == "Max-pooling / ReLU"
    assert not grade(c, {0}).correct  # one right option missing
    assert not grade(c, {0, 1, 2}).correct  # a wrong one added
    assert grade(c, {1}).given == "Dense"


def test_a_basic_card_is_graded_as_typed_against_its_back():
    c = card(Kind.BASIC)
    assert grade(c, "it randomly drops units").correct
    assert not grade(c, "it scales weights").correct


def test_a_quiz_question_is_graded_on_what_it_expects():
    exp = Expected(AnswerKind.CHOICE, options=("a", "b", "c"), correct=frozenset({1}))
    assert grade(exp, [1]).correct and not grade(exp, [2]).correct
    exp = Expected(AnswerKind.CLOZE, answers=("x", "y"))
    assert grade(exp, "x / y").correct  # the same blank splitting as a card's


def test_text_for_a_choice_or_indices_for_typed_text_is_a_programming_error():
    with pytest.raises(TypeError):
        grade(card(Kind.CHOICE), "a")
    with pytest.raises(TypeError):
        grade(card(Kind.TYPED), {0})


def test_right_earns_good_and_wrong_earns_again():
    c = card(Kind.TYPED)
    assert grade(c, "Paris").rating is Rating.GOOD
    assert grade(c, "Pariss").rating is Rating.GOOD  # a forgiven typo is still right
    assert grade(c, "Lyon").rating is Rating.AGAIN
    assert grading.grade_choice({0}, ("a", "b"), frozenset({1})).rating is Rating.AGAIN


def test_rating_labels_and_keys_are_ankis():
    assert [(r.key, r.label) for r in Rating] == [("1", "Again"), ("2", "Hard"), ("3", "Good"), ("4", "Easy")]


# ----------------------------------------------------------------- case in other languages


@pytest.mark.parametrize(
    ("given_", "accepted", "ok"),
    [
        ("STRASSE", "Straße", True),  # ß folds to ss
        ("straße", "STRASSE", True),
        ("MASS", "Maß", True),  # not two typos in a three-letter word
        ("SIĞ", "sığ", True),  # Turkish: the capital of ı is I
        ("ı", "i", True),  # dotless and dotted i are one letter to the grader, as accents are
        ("İSTANBUL", "ıstanbul", True),
        ("ΟΔΟΣ", "οδός", True),  # final sigma
        ("ᾼ", "αι", True),  # the capital's prosgegrammeni is an iota
        # the typo allowance is counted on the folded words: "strae" misses two letters of "strasse"
        ("Strase", "Straße", True),
        ("STRAE", "Straße", False),
        ("sug", "SIĞ", False),  # no typo forgiven in a three-letter word, folded or not
    ],
)
def test_case_is_folded_not_lowered(given_, accepted, ok):
    assert grade_typed(given_, [accepted]).correct is ok


CASE_CHANGES = (str.upper, str.lower, str.title, str.swapcase, str.casefold)

CASE_EXCEPTIONS: dict[str, str] = {}
"""Letters whose case changes grade wrong, with the reason (none at present: a new Unicode version may add some)."""


def test_every_unicode_letter_grades_right_in_any_case():
    wrong = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if unicodedata.category(ch)[0] != "L" or ch in CASE_EXCEPTIONS:
            continue
        changes = [f for f in CASE_CHANGES if f(ch) != ch]  # most letters (CJK, ...) have no case
        folded = grading.normalize_answer(ch) if changes else ""
        wrong += [(ch, f.__name__) for f in changes if grading.normalize_answer(f(ch)) != folded]
    assert wrong == []


LETTERS = st.characters(categories=("L",))
WORDS = st.lists(st.text(LETTERS, min_size=1, max_size=8), min_size=1, max_size=4).map(" ".join)


@st.composite
def case_changed(draw):
    """A text of letters, and the same text with its case changed, whole or letter by letter."""
    text = draw(WORDS)
    flips = draw(st.lists(st.sampled_from(CASE_CHANGES), min_size=len(text), max_size=len(text)))
    whole = draw(st.sampled_from((*CASE_CHANGES, None)))
    changed = whole(text) if whole else "".join(f(ch) for f, ch in zip(flips, text, strict=True))
    return text, changed


@settings(max_examples=500, deadline=None)
@given(case_changed(), WORDS)
def test_grading_is_invariant_under_case_changes(pair, other):
    text, changed = pair
    if set(text) & set(CASE_EXCEPTIONS):
        return
    assert grade_typed(changed, [text]).correct
    assert grade_typed(changed, [other]).correct == grade_typed(text, [other]).correct
