"""What a review, quiz or stats view is about: a title and its cards, or every deck, said outright."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: home, the first screen, builds selections before any deck loads
    from gistquiz.deck import Card
    from gistquiz.library import Library


@dataclass(frozen=True)
class Selection:
    title: str
    cards: tuple[Card, ...] = ()
    """The cards picked (a deck, a card found by search, a leech); none for all decks."""
    all_decks: bool = False
    """Every card of every deck, read from the library when the view wants them (it may have reloaded)."""

    @classmethod
    def every_deck(cls) -> Selection:
        return cls("All decks", all_decks=True)

    @property
    def empty(self) -> bool:
        """Nothing to show (a deck whose every note has a problem)."""
        return not self.all_decks and not self.cards

    def resolve(self, library: Library) -> list[Card]:
        """The cards to show now."""
        return list(library.cards()) if self.all_decks else list(self.cards)
