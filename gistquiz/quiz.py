"""Quizzes: questions built from a deck's cards (answers are graded by :mod:`gistquiz.grading`).

- Multiple-choice cards become multiple-choice questions with their own options.
- Basic and reversed cards become multiple-choice questions whose wrong options
  are other cards' answers from the same deck: of the same shape as the right
  answer (a term for a term, a sentence for a sentence, code for code, a number
  for a number), then the most similar (TF-IDF cosine) and closest in length,
  so that neither the wording nor the look gives the answer away; an option
  that says the same as the right answer is never offered. An option is the
  answer's first paragraph with its line breaks joined (the rest of the back
  explains, and shows after the answer).
- Typed cards ask for a typed answer; cloze cards for the hidden words.
- Exercise cards are left out (they are answered by writing code, in review): :func:`skipped_note` says so.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from gistquiz import cloze
from gistquiz.card_text import pick_hint
from gistquiz.deck import Card, Kind, normalize
from gistquiz.grading import AnswerKind as QuestionKind
from gistquiz.grading import Expected

N_OPTIONS = 4
NEAR_DUPLICATE = 0.9
"""Cosine similarity (word TF-IDF) above which a candidate option counts as the same as the answer."""
TERM_WORDS = 6
"""An answer of at most this many words, not ending like a sentence, is a term ("Learning rate η")."""
LENGTH_WEIGHT = 0.5
"""How much a factor e of difference in length costs a candidate, against a cosine similarity of 1."""
_NUMBER = re.compile(r"[-+\u2212]?\d[\d.,]*(?:e[-+\u2212]?\d+)?\s*%?")


@dataclass(frozen=True)
class Question:
    card: Card
    kind: QuestionKind
    prompt: str
    """Markdown: the question, or the cloze text with blanks."""
    options: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()
    """Indices of the right options (multiple choice)."""
    answers: tuple[str, ...] = ()
    """Accepted answers (typed), or the hidden words in order (cloze)."""

    @property
    def expected(self) -> Expected:
        """What :func:`gistquiz.grading.grade` grades an answer to this question against."""
        return Expected(self.kind, self.answers, self.options, self.correct)


# ----------------------------------------------------------------- building


def option_order(card: Card, reps: int = 0) -> list[int]:
    """A shuffled order of a multiple-choice card's options, stable for one showing of the card.

    Without it, an author who always writes the right option first teaches "always a)".
    """
    order = list(range(len(card.options)))
    random.Random(f"{card.key}:{reps}").shuffle(order)
    return order


def option_text(card: Card) -> str:
    """A card's answer as a quiz option: a typed card's first accepted answer, else the back's first
    paragraph with its line breaks joined (a deck wraps long lines; an option should not break mid-sentence).
    Code keeps its lines."""
    text = card.answers[0] if card.kind is Kind.TYPED else card.back.strip()
    if "```" in text:
        return text
    return " ".join(text.split("\n\n", 1)[0].split())


def answer_shape(text: str) -> str:
    """``code``, ``number``, ``term`` or ``sentence``: wrong options share the right answer's shape."""
    text = text.strip()
    if "```" in text or (text.startswith("`") and text.endswith("`") and text.count("`") == 2):
        return "code"
    if _NUMBER.fullmatch(text):
        return "number"
    if len(text.split()) <= TERM_WORDS and not text.endswith((".", "!", "?", ":")):
        return "term"
    return "sentence"


def build(cards: list[Card], seed: int | None = None, limit: int | None = None) -> list[Question]:
    """A shuffled quiz over ``cards`` (one question per note; reversed siblings alternate)."""
    rng = random.Random(seed)
    pool = _one_per_note([c for c in cards if c.kind is not Kind.EXERCISE], rng)
    rng.shuffle(pool)
    if limit is not None:
        pool = pool[:limit]
    basic = [c for c in pool if c.kind in (Kind.BASIC, Kind.REVERSED)]
    distractors = _distractors(basic, cards, rng) if basic else {}
    questions = []
    for card in pool:
        if card.kind is Kind.CHOICE:
            order = list(range(len(card.options)))
            rng.shuffle(order)
            options = tuple(card.options[i].text for i in order)
            correct = frozenset(n for n, i in enumerate(order) if card.options[i].correct)
            questions.append(Question(card, QuestionKind.CHOICE, card.front + pick_hint(card), options, correct))
        elif card.kind is Kind.CLOZE:
            prompt = cloze.question(card.cloze_text, card.cloze_index)
            answers = tuple(cloze.answers(card.cloze_text, card.cloze_index))
            questions.append(Question(card, QuestionKind.CLOZE, prompt, answers=answers))
        elif card.kind is Kind.TYPED:
            questions.append(Question(card, QuestionKind.TYPED, card.front, answers=card.answers))
        else:
            wrong = distractors.get(card.key, [])
            if not wrong:  # a deck too small for plausible options: ask for the answer instead
                questions.append(Question(card, QuestionKind.TYPED, card.front, answers=(option_text(card),)))
                continue
            right = option_text(card)
            options = [right, *wrong]
            rng.shuffle(options)
            questions.append(
                Question(card, QuestionKind.CHOICE, card.front, tuple(options), frozenset({options.index(right)}))
            )
    return questions


def skipped_note(cards: list[Card]) -> str:
    """What the quiz leaves out and why ("" if nothing)."""
    n = sum(c.kind is Kind.EXERCISE for c in cards)
    if not n:
        return ""
    return f"{n} exercise card{'s' * (n != 1)} left out: exercises are answered by writing code, in review"


def _one_per_note(cards: list[Card], rng: random.Random) -> list[Card]:
    by_note: dict[str, list[Card]] = {}
    for c in cards:
        by_note.setdefault(c.key.split("/", 1)[0], []).append(c)
    return [
        group[0] if len(group) == 1 or group[0].kind is Kind.CLOZE else rng.choice(group) for group in by_note.values()
    ]


def _distractors(questions: list[Card], deck: list[Card], rng: random.Random) -> dict[str, list[str]]:
    """For each basic card, up to three other answers of the deck: the same shape first, then the most
    similar in words and closest in length."""
    candidates: list[str] = []
    seen: set[str] = set()
    for c in deck:
        text = option_text(c) if c.kind in (Kind.BASIC, Kind.REVERSED, Kind.TYPED) else ""
        if text and normalize(text) not in seen and len(text) < 400:
            seen.add(normalize(text))
            candidates.append(text)
    if len(candidates) < 2:
        return {}
    import numpy as np  # here, not at the top: the review imports this module and stays lean
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    shapes = [answer_shape(t) for t in candidates]
    log_len = np.log([len(t) for t in candidates])  # (n_candidates,)
    vec = TfidfVectorizer(sublinear_tf=True).fit(candidates + [q.front for q in questions])
    C = vec.transform(candidates)  # (n_candidates, vocab)
    out: dict[str, list[str]] = {}
    for q in questions:
        answer = option_text(q)
        right = vec.transform([answer])
        sim_answer = cosine_similarity(right, C)[0]  # (n_candidates,)
        sim_question = cosine_similarity(vec.transform([q.front]), C)[0]
        length_gap = np.abs(log_len - math.log(len(answer)))  # (n_candidates,): 0 for the same length
        other_shape = np.array([s != answer_shape(answer) for s in shapes], dtype=float)
        noise = np.array([rng.random() * 1e-6 for _ in candidates])
        score = sim_answer + 0.5 * sim_question - LENGTH_WEIGHT * length_gap - 10.0 * other_shape + noise
        picked: list[str] = []
        for i in score.argsort()[::-1]:
            text = candidates[i]
            if normalize(text) == normalize(answer) or sim_answer[i] >= NEAR_DUPLICATE:
                continue
            if normalize(text) == normalize(q.front):
                continue  # the other side of a reversed card would give the answer away
            picked.append(text)
            if len(picked) == N_OPTIONS - 1:
                break
        out[q.key] = picked
    return out
