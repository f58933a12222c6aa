"""A card's two sides as Markdown, the same for the line-based review and the app."""

from __future__ import annotations

import re

from gistquiz import cloze
from gistquiz.deck import Card, Kind

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def front_text(card: Card, order: list[int] | None = None, picked: set[int] | frozenset[int] = frozenset()) -> str:
    """The question side as text (Markdown), with cloze blanks and choice options (in ``order``).

    A choice with several right options says how many to pick; ``picked`` (positions shown) are marked.
    """
    return scripts(_front(card, order, picked))


def back_text(card: Card, order: list[int] | None = None) -> str:
    return scripts(_back(card, order))


def _front(card: Card, order: list[int] | None, picked: set[int] | frozenset[int]) -> str:
    if card.kind is Kind.CLOZE:
        return f"{card.front}\n\n{cloze.question(card.cloze_text, card.cloze_index)}"
    if card.kind is Kind.CHOICE:
        order = order or list(range(len(card.options)))
        options = "\n".join(
            f"- {'▸ **' if n in picked else ''}{LETTERS[n]}){'**' if n in picked else ''} {card.options[i].text}"
            for n, i in enumerate(order)
        )
        return f"{card.front}{pick_hint(card)}\n\n{options}"
    if card.kind is Kind.EXERCISE and card.exercise:
        return f"{card.front}\n\n{fenced(card.exercise.starter)}"
    return card.front


def right_options(card: Card) -> int:
    return sum(o.correct for o in card.options)


def pick_hint(card: Card) -> str:
    """ "Pick 2." under a question with several right options: one letter alone can never be right."""
    n = right_options(card)
    return f"\n\n*Pick {n}.*" if n > 1 else ""


def _back(card: Card, order: list[int] | None) -> str:
    if card.kind is Kind.CLOZE:
        return cloze.answer(card.cloze_text, card.cloze_index)
    if card.kind is Kind.CHOICE:
        order = order or list(range(len(card.options)))
        right = [f"{LETTERS[n]}) {card.options[i].text}" for n, i in enumerate(order) if card.options[i].correct]
        return f"Answer: {', '.join(right)}\n\n{card.back}".strip()
    if card.kind is Kind.TYPED:
        first, *others = card.answers
        also = f" (also accepted: {', '.join(others)})" if others else ""
        return f"{first}{also}\n\n{card.explanation}".strip()
    if card.kind is Kind.EXERCISE and card.exercise:
        solution = fenced(card.exercise.solution) if card.exercise.solution.strip() else "(no solution given)"
        return f"Solution:\n\n{solution}\n\n{card.back}".strip()
    return card.back


# --------------------------------------------------------------------------- what the learner sees

_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_SUP = dict(zip("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ", strict=True))
_ASCII = {v: ("_", k) for k, v in _SUB.items()} | {v: ("^", k) for k, v in _SUP.items()}
_SCRIPT = re.compile(r"(?<!\\)<(sub|sup)>(.*?)(?<!\\)</\1>", re.DOTALL)  # "\<sub>" is text
_SCRIPT_RUN = re.compile(f"[{''.join(_SUB.values())}]+|[{''.join(_SUP.values())}]+")
_CODE = re.compile(r"(^[ \t]{0,3}(`{3,}|~{3,}).*?^[ \t]{0,3}\2[ \t]*$|`[^`\n]+`)", re.MULTILINE | re.DOTALL)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_HARD_BREAK = re.compile(r"\\$", re.MULTILINE)


def scripts(md: str) -> str:
    """``<sub>``/``<sup>`` (kept from Anki) as Unicode sub/superscripts, or ``H_2O``, ``x^(n+1)`` where a
    character has none (Markdown renderers drop the tags, and with them that the 2 in H2O is low)."""
    if "<su" not in md:
        return md

    def one(m: re.Match[str]) -> str:
        table, mark = (_SUB, "_") if m.group(1) == "sub" else (_SUP, "^")
        body = m.group(2)
        if body and all(c in table for c in body):
            return "".join(table[c] for c in body)
        return f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"

    return _SCRIPT.sub(one, md)


def plain(md: str, encoding: str | None = "utf-8") -> str:
    """Card Markdown as a terminal without a Markdown renderer should show it (``review --plain``).

    Markdown's backslash escapes show their character (``a\\*b`` is ``a*b``, ``\\\\(x\\\\)`` is ``\\(x\\)``) and a
    backslash hard break is a line break, except in code, which shows as written; sub/superscripts the
    ``encoding`` cannot show become ``_2``/``^2``.
    """
    out, pos = [], 0
    for m in _CODE.finditer(md):
        out += [_unescape(md[pos : m.start()]), m.group(0)]
        pos = m.end()
    out.append(_unescape(md[pos:]))
    text = "".join(out)
    if encoding and _SCRIPT_RUN.search(text):
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            text = _SCRIPT_RUN.sub(_ascii_run, text)
    return text


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", _HARD_BREAK.sub("", text)) if "\\" in text else text


def _ascii_run(m: re.Match[str]) -> str:
    run = m.group(0)
    mark = _ASCII[run[0]][0]
    body = "".join(_ASCII[c][1] for c in run)
    return f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"


def fenced(code: str) -> str:
    """Code as a fenced Markdown block, with a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in code.split("\n") if run.strip("`") == "" and run), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}python\n{code.rstrip()}\n{fence}"
