"""Quizzes: questions built from a deck's cards, and lenient grading of typed answers.

- Multiple-choice cards become multiple-choice questions with their own options.
- Basic and reversed cards become multiple-choice questions whose wrong options
  are other cards' answers from the same deck, the most similar ones first
  (TF-IDF cosine), so that they are plausible; an option that says the same as
  the right answer is never offered.
- Typed cards ask for a typed answer; cloze cards for the hidden words.

Typed answers are graded leniently: case, punctuation, extra spaces and a few
typos (a Damerau-Levenshtein distance that grows with the answer's length) are
accepted, and a character diff shows what was off.
"""

from __future__ import annotations

import difflib
import random
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from gistquiz import cloze
from gistquiz.deck import Card, Kind, normalize

N_OPTIONS = 4
NEAR_DUPLICATE = 0.9
"""Cosine similarity (word TF-IDF) above which a candidate option counts as the same as the answer."""


class QuestionKind(StrEnum):
    CHOICE = "choice"
    TYPED = "typed"
    CLOZE = "cloze"


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


@dataclass(frozen=True)
class Grade:
    correct: bool
    expected: str
    given: str
    exact: bool = False
    diff: list[tuple[str, str]] = field(default_factory=list)
    """Character diff of the given answer against the expected one: (``equal|insert|delete``, text)."""


# ----------------------------------------------------------------- grading


_DROP = re.compile(r"[\"'`*_,;:!?\u2018\u2019\u201c\u201d]")
_MARKDOWN_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_NOT_SIGN = re.compile(r"[^0-9+\-/^=<>()*.]")
_OPERATOR_SPACE = re.compile(r"\s*([-+/^=<>()])\s*")


def normalize_answer(text: str) -> str:
    """What a typed answer is compared on: case, accents, quotes, commas and spacing don't count.

    Signs and operators do (``-log p`` is not ``log p``, ``1e-3`` is not ``1e3``).
    """
    text = _MARKDOWN_ESCAPE.sub("", text)  # "a\\*b" in a deck file is the answer "a*b"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("\u2212", "-").replace("\u00d7", "*")
    text = _DROP.sub(" ", text)
    text = _WORD_HYPHEN.sub(" ", text)  # "batch-norm" is "batch norm"
    text = _OPERATOR_SPACE.sub(r"\1", " ".join(text.split()))
    return text.strip().rstrip(".")


def _signs(text: str) -> str:
    """The digits and operators of a normalised answer: a difference there is never a typo."""
    return _NOT_SIGN.sub("", text)


def allowed_typos(word: str) -> int:
    """Typos forgiven in one word: none up to 3 letters, one up to 11, two beyond.

    Per word, so that a long answer does not buy slack for a wrong word in it:
    "covariance" for "covariate" is two edits in a nine-letter word, and wrong.
    """
    n = len(word)
    if n <= 3:
        return 0
    return 1 if n <= 11 else 2


def close_enough(given: str, answer: str) -> bool:
    """Whether a normalised answer differs from the expected one only by typos."""
    if not given or _signs(given) != _signs(answer):
        return False
    gw, aw = given.split(), answer.split()
    if len(gw) == len(aw):
        return all(edit_distance(x, y) <= allowed_typos(y) for x, y in zip(gw, aw, strict=True))
    # a missing or extra space ("batchnorm") is one typo in a longer answer
    return len(answer) >= 6 and given.replace(" ", "") == answer.replace(" ", "")


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance: a swap of two letters is one typo."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def char_diff(given: str, expected: str) -> list[tuple[str, str]]:
    """What to delete from and insert into ``given`` to get ``expected``."""
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, given, expected, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", given[i1:i2]))
            continue
        if i2 > i1:
            out.append(("delete", given[i1:i2]))
        if j2 > j1:
            out.append(("insert", expected[j1:j2]))
    return out


def grade_typed(given: str, accepted: tuple[str, ...] | list[str]) -> Grade:
    """Grade a typed answer against any of the accepted ones."""
    g = normalize_answer(given)
    if not accepted:
        return Grade(False, "", given)
    for answer in accepted:
        a = normalize_answer(answer)
        if g == a:
            return Grade(True, answer, given, exact=given.strip() == answer.strip())
    for answer in accepted:
        if close_enough(g, normalize_answer(answer)):
            return Grade(True, answer, given, diff=char_diff(given.strip(), answer.strip()))
    nearest = min(accepted, key=lambda a: edit_distance(g, normalize_answer(a)))
    return Grade(False, nearest, given, diff=char_diff(given.strip(), nearest.strip()))


def grade_cloze(given: list[str], q: Question) -> Grade:
    """Each blank graded on its own; the question is right when every blank is."""
    expected = " / ".join(q.answers)
    parts = [grade_typed(g, (a,)) for g, a in zip(given, q.answers, strict=False)]
    ok = len(given) == len(q.answers) and all(p.correct for p in parts)
    shown = " / ".join(given)
    return Grade(ok, expected, shown, exact=ok and all(p.exact for p in parts), diff=char_diff(shown, expected))


def grade_cloze_card(given: list[str], card: Card) -> Grade:
    """Grade typed blanks (``a / b`` for two) against a cloze card's hidden words."""
    answers = tuple(cloze.answers(card.cloze_text, card.cloze_index))
    return grade_cloze(given, Question(card, QuestionKind.CLOZE, "", answers=answers))


def grade_card_answer(given: str, card: Card) -> Grade:
    """Grade what a learner typed for a typed card, or a cloze card's blanks (``a / b`` for two)."""
    if card.kind is Kind.CLOZE:
        return grade_cloze_card([part.strip() for part in given.split("/")], card)
    return grade_typed(given, card.answers)


def grade_choice(chosen: set[int], q: Question) -> Grade:
    expected = " / ".join(q.options[i] for i in sorted(q.correct))
    given = " / ".join(q.options[i] for i in sorted(chosen) if 0 <= i < len(q.options))
    ok = chosen == set(q.correct)
    return Grade(ok, expected, given, exact=ok)


# ----------------------------------------------------------------- building


def option_order(card: Card, reps: int = 0) -> list[int]:
    """A shuffled order of a multiple-choice card's options, stable for one showing of the card.

    Without it, an author who always writes the right option first teaches "always a)".
    """
    order = list(range(len(card.options)))
    random.Random(f"{card.key}:{reps}").shuffle(order)
    return order


def build(cards: list[Card], seed: int | None = None, limit: int | None = None) -> list[Question]:
    """A shuffled quiz over ``cards`` (one question per note; reversed siblings alternate)."""
    rng = random.Random(seed)
    pool = _one_per_note(cards, rng)
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
            questions.append(Question(card, QuestionKind.CHOICE, card.front, options, correct))
        elif card.kind is Kind.CLOZE:
            prompt = cloze.question(card.cloze_text, card.cloze_index)
            answers = tuple(cloze.answers(card.cloze_text, card.cloze_index))
            questions.append(Question(card, QuestionKind.CLOZE, prompt, answers=answers))
        elif card.kind is Kind.TYPED:
            questions.append(Question(card, QuestionKind.TYPED, card.front, answers=card.answers))
        else:
            wrong = distractors.get(card.key, [])
            if not wrong:  # a deck too small for plausible options: ask for the answer instead
                questions.append(Question(card, QuestionKind.TYPED, card.front, answers=(card.back,)))
                continue
            options = [card.back, *wrong]
            rng.shuffle(options)
            questions.append(
                Question(card, QuestionKind.CHOICE, card.front, tuple(options), frozenset({options.index(card.back)}))
            )
    return questions


def _one_per_note(cards: list[Card], rng: random.Random) -> list[Card]:
    by_note: dict[str, list[Card]] = {}
    for c in cards:
        by_note.setdefault(c.key.split("/", 1)[0], []).append(c)
    return [
        group[0] if len(group) == 1 or group[0].kind is Kind.CLOZE else rng.choice(group) for group in by_note.values()
    ]


def _distractors(questions: list[Card], deck: list[Card], rng: random.Random) -> dict[str, list[str]]:
    """For each basic card, up to three other answers of the deck, most similar first."""
    candidates: list[str] = []
    seen: set[str] = set()
    for c in deck:
        text = c.back if c.kind in (Kind.BASIC, Kind.REVERSED, Kind.TYPED) else ""
        if text and normalize(text) not in seen and len(text) < 400:
            seen.add(normalize(text))
            candidates.append(text)
    if len(candidates) < 2:
        return {}
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vec = TfidfVectorizer(sublinear_tf=True).fit(candidates + [q.front for q in questions])
    C = vec.transform(candidates)  # (n_candidates, vocab)
    out: dict[str, list[str]] = {}
    for q in questions:
        right = vec.transform([q.back])
        sim_answer = cosine_similarity(right, C)[0]  # (n_candidates,)
        sim_question = cosine_similarity(vec.transform([q.front]), C)[0]
        score = sim_answer + 0.5 * sim_question + [rng.random() * 1e-6 for _ in candidates]
        picked: list[str] = []
        for i in score.argsort()[::-1]:
            text = candidates[i]
            if normalize(text) == normalize(q.back) or sim_answer[i] >= NEAR_DUPLICATE:
                continue
            if normalize(text) == normalize(q.front):
                continue  # the other side of a reversed card would give the answer away
            picked.append(text)
            if len(picked) == N_OPTIONS - 1:
                break
        out[q.key] = picked
    return out
