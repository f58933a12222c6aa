"""Grading an answer: typed text, cloze blanks or chosen options, against a card or a quiz question.

One entry point, :func:`grade`, for the review (the app and ``review --plain``) and the quiz.
Typed answers are graded leniently: case (folded, not lowered), accents, punctuation, extra spaces
and a few typos (a Damerau-Levenshtein distance on the folded words that grows with a word's length)
are accepted, and a character diff shows what was off. Several cloze blanks are typed as ``a / b``;
each is graded on its own.

The rule that turns a grade into a rating (right = Good, wrong = Again: the review's suggestion,
and what a quiz records when it updates the schedule) is :attr:`Grade.rating`, and lives only here.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from gistquiz import cloze
from gistquiz.deck import Card, Kind
from gistquiz.scheduler import Rating


class AnswerKind(StrEnum):
    """How an answer is given: options picked, words typed, or a cloze's blanks filled in."""

    CHOICE = "choice"
    TYPED = "typed"
    CLOZE = "cloze"


@dataclass(frozen=True)
class Expected:
    """What counts as right for one question."""

    kind: AnswerKind
    answers: tuple[str, ...] = ()
    """Accepted answers (typed), or the hidden words in order (cloze)."""
    options: tuple[str, ...] = ()
    correct: frozenset[int] = frozenset()
    """Indices of the right options (choice)."""


@dataclass(frozen=True)
class Grade:
    correct: bool
    expected: str
    given: str
    exact: bool = False
    diff: list[tuple[str, str]] = field(default_factory=list)
    """Character diff of the given answer against the expected one: (``equal|insert|delete``, text)."""

    @property
    def rating(self) -> Rating:
        """The rating this answer earns: Good when right, Again when not."""
        return Rating.GOOD if self.correct else Rating.AGAIN


def expected(card: Card) -> Expected:
    """What counts as right for a card as the review shows it (a choice card's options in the card's order)."""
    if card.kind is Kind.CLOZE:
        return Expected(AnswerKind.CLOZE, answers=tuple(cloze.answers(card.cloze_text, card.cloze_index)))
    if card.kind is Kind.CHOICE:
        right = frozenset(i for i, o in enumerate(card.options) if o.correct)
        return Expected(AnswerKind.CHOICE, options=tuple(o.text for o in card.options), correct=right)
    if card.kind is Kind.TYPED:
        return Expected(AnswerKind.TYPED, answers=card.answers)
    return Expected(AnswerKind.TYPED, answers=(card.back,))


def grade(card: Card | Expected, given: str | Collection[int]) -> Grade:
    """Grade an answer: text for typed and cloze questions (blanks as ``a / b``), option indices for choices."""
    exp = card if isinstance(card, Expected) else expected(card)
    if exp.kind is AnswerKind.CHOICE:
        if isinstance(given, str):
            raise TypeError("a choice is graded on the indices of the chosen options, not on text")
        return grade_choice(given, exp.options, exp.correct)
    if not isinstance(given, str):
        raise TypeError(f"a {exp.kind} answer is graded on text")
    if exp.kind is AnswerKind.CLOZE:
        return grade_blanks([part.strip() for part in given.split("/")], exp.answers)
    return grade_typed(given, exp.answers)


# ----------------------------------------------------------------- normalising


_DROP = re.compile(r"[\"'`*_,;:!?\u2018\u2019\u201c\u201d]")
_MARKDOWN_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_NOT_SIGN = re.compile(r"[^0-9+\-/^=<>()*.]")
_OPERATOR_SPACE = re.compile(r"\s*([-+/^=<>()])\s*")


def fold(text: str) -> str:
    """Case and accents folded away: ``STRASSE`` and ``Straße``, ``SIĞ`` and ``sığ`` fold alike.

    Unicode's caseless match (decompose, casefold, decompose again: a folded letter can decompose
    further), then the accents dropped, and the Turkish dotless ``ı`` read as ``i``, since its
    capital ``I`` folds to ``i`` (as ``ğ`` is read as ``g``). Lowercasing alone keeps ``ß``, ``ı``
    and Greek letters with an iota subscript apart from their capitals.
    """
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("\u0131", "i")


def normalize_answer(text: str) -> str:
    """What a typed answer is compared on: case, accents, quotes, commas and spacing don't count.

    Signs and operators do (``-log p`` is not ``log p``, ``1e-3`` is not ``1e3``).
    """
    text = _MARKDOWN_ESCAPE.sub("", text)  # "a\\*b" in a deck file is the answer "a*b"
    text = fold(text).replace("\u2212", "-").replace("\u00d7", "*")
    text = _DROP.sub(" ", text)
    text = _WORD_HYPHEN.sub(" ", text)  # "batch-norm" is "batch norm"
    text = _OPERATOR_SPACE.sub(r"\1", " ".join(text.split()))
    return text.strip().rstrip(".")


def _signs(text: str) -> str:
    """The digits and operators of a normalised answer: a difference there is never a typo."""
    return _NOT_SIGN.sub("", text)


# ----------------------------------------------------------------- typos


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


# ----------------------------------------------------------------- grading


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


def grade_blanks(given: list[str], answers: tuple[str, ...]) -> Grade:
    """Cloze blanks, each graded on its own; the answer is right when every blank is."""
    expected = " / ".join(answers)
    parts = [grade_typed(g, (a,)) for g, a in zip(given, answers, strict=False)]
    ok = len(given) == len(answers) and all(p.correct for p in parts)
    shown = " / ".join(given)
    return Grade(ok, expected, shown, exact=ok and all(p.exact for p in parts), diff=char_diff(shown, expected))


def grade_choice(chosen: Collection[int], options: tuple[str, ...], correct: frozenset[int]) -> Grade:
    """The chosen options are right when they are exactly the right ones."""
    expected = " / ".join(options[i] for i in sorted(correct))
    given = " / ".join(options[i] for i in sorted(chosen) if 0 <= i < len(options))
    ok = set(chosen) == set(correct)
    return Grade(ok, expected, given, exact=ok)
