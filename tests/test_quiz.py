"""Quiz questions: one per note, of the card's kind, with plausible wrong options."""

from __future__ import annotations

from gistquiz import grading, quiz
from gistquiz.deck import Kind, normalize, parse_deck
from gistquiz.quiz import QuestionKind

DECK = """\
# D

## What does L1 regularization do to useless weights?

It drives them to exactly zero.

## What does L2 regularization do to weights?

It shrinks every weight toward zero without zeroing it.

## What does dropout do during training?

It randomly drops units so the network cannot rely on any one of them.

## What is BLEU used for?

Scoring machine translation by n-gram overlap with references.

## What does batch normalization normalize?

Each layer's inputs, per feature, with the mini-batch mean and variance.

## What is the same as the L1 answer?

It drives them to exactly zero!

## Which layer has no weights?

- [ ] Dense
- [x] Max-pooling
- [ ] Convolution

## Capital of France?
type: typed

Paris

## Parts

A CNN stacks {{c1::convolution}} and {{c2::max-pooling}} layers.
"""


def cards():
    d = parse_deck(DECK, "d.md", known_demos=set())
    assert d.errors == []
    return d.cards


def test_each_card_kind_becomes_its_question_kind():
    qs = {q.card.key: q for q in quiz.build(cards(), seed=3)}
    by_kind = {q.card.kind: q.kind for q in qs.values()}
    assert by_kind == {
        Kind.BASIC: QuestionKind.CHOICE,
        Kind.CHOICE: QuestionKind.CHOICE,
        Kind.TYPED: QuestionKind.TYPED,
        Kind.CLOZE: QuestionKind.CLOZE,
    }
    cloze_q = next(q for q in qs.values() if q.kind is QuestionKind.CLOZE)
    assert cloze_q.answers in (("convolution",), ("max-pooling",))
    assert len([q for q in qs.values() if q.card.kind is Kind.CLOZE]) == 1  # one question per note


def test_distractors_are_plausible_and_never_the_right_answer_again():
    questions = quiz.build(cards(), seed=1)
    l1 = next(q for q in questions if q.card.front.startswith("What does L1"))
    right = l1.options[min(l1.correct)]
    assert right == "It drives them to exactly zero."
    assert len(l1.options) == 4 and len(set(map(normalize, l1.options))) == 4
    # "It drives them to exactly zero!" says the same: never offered as a wrong option
    assert all(normalize(o) != normalize(right) for i, o in enumerate(l1.options) if i not in l1.correct)
    # the most similar other answer (L2's) is among the options
    assert "It shrinks every weight toward zero without zeroing it." in l1.options


def test_grading_a_choice_question():
    q = next(q for q in quiz.build(cards(), seed=2) if q.card.kind is Kind.CHOICE)
    right = min(q.correct)
    assert grading.grade(q.expected, {right}).correct
    assert not grading.grade(q.expected, {(right + 1) % len(q.options)}).correct


def test_a_deck_too_small_for_options_asks_for_a_typed_answer():
    d = parse_deck("## Q\n\nA\n", "d.md", known_demos=set())
    (q,) = quiz.build(d.cards, seed=0)
    assert q.kind is QuestionKind.TYPED and q.answers == ("A",)


def test_option_order_is_shuffled_but_stable_for_a_showing():
    card = next(c for c in cards() if c.kind is Kind.CHOICE)
    assert quiz.option_order(card, 0) == quiz.option_order(card, 0)
    orders = {tuple(quiz.option_order(card, reps)) for reps in range(20)}
    assert len(orders) > 1 and all(sorted(o) == [0, 1, 2] for o in orders)


SHAPES = """\
# S

## What is the step size of gradient descent called?

Learning rate

## What does a pooling layer compute over each window?

Max pooling

## Which loss compares predicted probabilities with labels?

Cross entropy

## What is the name of the trick that zeroes random units?

Dropout

## Why does batch norm speed up training?

Each layer sees inputs with a similar distribution from batch to batch, so
larger learning rates stay stable.

More text that explains, in a second paragraph.

## Why does a too large learning rate fail?

The steps overshoot the minimum and the loss grows **without bound** instead of
going down.

## Why does dropout help generalisation?

No unit can rely on any other one, so the network learns redundant features
that hold up on new data.

## Why does L1 give sparse weights?

Its constant pull toward zero, whatever the weight's size, drives the useless
weights to exactly zero.
"""
TERMS = {"Learning rate", "Max pooling", "Cross entropy", "Dropout"}


def test_wrong_options_have_the_right_answers_shape_and_length_and_no_line_breaks():
    """A sentence is never offered against terms (the look would give it away), nor a term against sentences."""
    deck = parse_deck(SHAPES, "s.md", known_demos=set()).cards
    for seed in range(10):
        for q in quiz.build(deck, seed=seed):
            right = q.options[min(q.correct)]
            assert all("\n" not in o for o in q.options)  # a deck's wrapped lines are joined
            wrong = [o for i, o in enumerate(q.options) if i not in q.correct]
            assert len(wrong) == 3
            if right in TERMS:
                assert set(wrong) <= TERMS, (q.card.front, wrong)
            else:
                assert not set(wrong) & TERMS, (q.card.front, wrong)
                assert all(0.5 < len(w) / len(right) < 2 for w in wrong)


def test_an_option_is_the_answers_first_paragraph_and_the_quiz_says_how_many_to_pick():
    deck = parse_deck(SHAPES, "s.md", known_demos=set()).cards
    bn = next(c for c in deck if c.front.startswith("Why does batch norm"))
    assert quiz.option_text(bn) == (
        "Each layer sees inputs with a similar distribution from batch to batch, so larger learning rates stay stable."
    )
    many = parse_deck("# M\n\n## Which are even?\n\n- [x] 2\n- [x] 4\n- [ ] 5\n", "m.md", known_demos=set()).cards
    (q,) = quiz.build(many, seed=0)
    assert q.prompt.endswith("*Pick 2.*") and len(q.correct) == 2
    assert grading.grade(q.expected, set(q.correct)).correct
    assert not grading.grade(q.expected, {min(q.correct)}).correct  # one of the two is not the answer
