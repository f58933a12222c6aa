"""Keep a card's history when its text is edited.

A card without an explicit ``id:`` is keyed by a hash of its normalised words,
so a change of case, punctuation or spacing keeps its key, but a reworded card
gets a new one. Its old history is then orphaned. This module re-links an
orphan to the most similar *new* card of the same deck (and the same sibling
slot: ``/rev``, ``/c2``), but only when the similarity is high and the two are
each other's best match, so history is never merged into an unrelated card or
into a card that has a history of its own.

Similarity is the cosine of character n-gram TF-IDF vectors (scikit-learn),
which forgives typos and inflections ("normalisation" / "normalization").
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple

from gistquiz.deck import Deck
from gistquiz.store import Store

THRESHOLD = 0.6
"""Measured: four rewordings of deep-learning cards scored 0.64-0.86; the most similar two *different*
cards of the bundled deck score 0.54 (99% of its pairs below 0.39), and L1-vs-L2 cards 0.52."""


class Relink(NamedTuple):
    deck: str
    path: str
    line: int
    old_key: str
    new_key: str
    similarity: float

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: kept the history of an edited card "
            f"({self.old_key} -> {self.new_key}, similarity {self.similarity:.2f})"
        )


def slot(key: str) -> str:
    """The sibling slot of a card key: ``""``, ``"rev"`` or ``"c2"``."""
    return key.rpartition("/")[2] if "/" in key.split(":", 1)[-1] else ""


def _signature(deck: Deck) -> tuple[str, str]:
    """(the hash of the deck's card keys, the ``meta`` key it is kept under once the deck is checked)."""
    return hashlib.sha1("\n".join([c.key for c in deck.cards]).encode()).hexdigest(), f"relink:{deck.key}"


def checked(deck: Deck, store: Store) -> bool:
    """True when :func:`sync` would find nothing to do: the deck has no cards, or the same cards as when last
    checked (it reads, never writes)."""
    if not deck.cards:
        return True
    signature, meta_key = _signature(deck)
    return store.meta(meta_key) == signature


def sync(deck: Deck, store: Store, now: datetime) -> list[Relink]:
    """Re-link the deck's orphaned histories to its edited cards; returns what was re-linked."""
    if not deck.cards:
        return []
    # The keys in the deck's order, not sorted: the same file gives the same order, so an unchanged deck costs
    # one hash and no per-card object (sorting 100,000 keys at every open grew faster than the cards). A deck
    # whose cards only moved hashes differently, and is checked once more, which finds nothing to re-link.
    signature, meta_key = _signature(deck)
    if store.meta(meta_key) == signature:
        return []  # the deck's cards are the same as when last checked
    current = {c.key: c for c in deck.cards}
    stored = store.fingerprints(deck.key)
    orphans = {k: fp for k, fp in stored.items() if k not in current and fp}
    fresh = {k: c for k, c in current.items() if k not in stored}
    relinks = []
    if orphans and fresh:
        for old, new, sim in match(orphans, {k: c.fingerprint for k, c in fresh.items()}):
            card = fresh[new]
            store.relink(old, new, deck.key, sim, now, card.fingerprint)
            relinks.append(Relink(deck.key, deck.path, card.line, old, new, sim))
    store.set_meta(meta_key, signature)
    return relinks


def match(orphans: dict[str, str], fresh: dict[str, str], threshold: float = THRESHOLD) -> list[tuple[str, str, float]]:
    """Pairs (orphan key, fresh key, similarity) that are mutual best matches above ``threshold``."""
    pairs = []
    by_slot: dict[str, tuple[list[str], list[str]]] = {}
    for k in orphans:
        by_slot.setdefault(slot(k), ([], []))[0].append(k)
    for k in fresh:
        by_slot.setdefault(slot(k), ([], []))[1].append(k)
    for old_keys, new_keys in by_slot.values():
        if not old_keys or not new_keys:
            continue
        sim = similarity([orphans[k] for k in old_keys], [fresh[k] for k in new_keys])  # (n_old, n_new)
        best_new = sim.argmax(axis=1)
        best_old = sim.argmax(axis=0)
        for i, j in enumerate(best_new):
            if best_old[j] == i and sim[i, j] >= threshold:
                pairs.append((old_keys[i], new_keys[j], float(sim[i, j])))
    return pairs


def similarity(a: list[str], b: list[str]):
    """Cosine similarity of character n-gram TF-IDF vectors, shape (len(a), len(b))."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    X = vectorizer.fit_transform(a + b)  # (len(a) + len(b), n_features)
    return cosine_similarity(X[: len(a)], X[len(a) :])
