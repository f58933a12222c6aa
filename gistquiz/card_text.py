"""A card's two sides as Markdown, the same for the line-based review and the app."""

from __future__ import annotations

from gistquiz import cloze
from gistquiz.deck import Card, Kind

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def front_text(card: Card, order: list[int] | None = None, picked: set[int] | frozenset[int] = frozenset()) -> str:
    """The question side as text (Markdown), with cloze blanks and choice options (in ``order``).

    A choice with several right options says how many to pick; ``picked`` (positions shown) are marked.
    """
    if card.kind is Kind.CLOZE:
        return f"{card.front}\n\n{cloze.question(card.cloze_text, card.cloze_index)}"
    if card.kind is Kind.CHOICE:
        order = order or list(range(len(card.options)))
        options = "\n".join(
            f"- {'▸ **' if n in picked else ''}{LETTERS[n]}){'**' if n in picked else ''} {card.options[i].text}"
            for n, i in enumerate(order)
        )
        return f"{card.front}{pick_hint(card)}\n\n{options}"
    return card.front


def right_options(card: Card) -> int:
    return sum(o.correct for o in card.options)


def pick_hint(card: Card) -> str:
    """ "Pick 2." under a question with several right options: one letter alone can never be right."""
    n = right_options(card)
    return f"\n\n*Pick {n}.*" if n > 1 else ""


def back_text(card: Card, order: list[int] | None = None) -> str:
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
    return card.back
