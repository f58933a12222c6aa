"""The bundled deck "Deep learning: the gist": it loads, covers every idea of the user's notes, and links its demos."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gistquiz import library
from gistquiz.deck import Card, Kind, read_deck
from gistquiz.locations import bundled_decks_dir
from gistquiz.registry import demo_names

DECK_KEY = "gist-dl"

# The spec: each idea of the notes (seed/gist-dl-notes.txt) is a tag, with what the notes say and the
# demos a card of that idea may link (the demo that shows the card's claim).
IDEAS: dict[str, tuple[str, set[str]]] = {
    "why-deep-learning": ("deep learning took off with lots of data and compute", {"data_and_compute"}),
    "learning-rate": ("the learning rate η is generally small", {"learning_rate"}),
    "conv-kernels": ("a conv layer's weights are organised as kernels", {"conv_kernels", "tiny_cnn"}),
    "regularization": ("L1, L2 and dropout; L1 zeroes useless weights", {"regularization"}),
    "early-layers": ("early CNN layers detect edges and common shapes", {"conv_kernels", "tiny_cnn"}),
    "fine-tuning": ("keep learning rates small when fine-tuning", {"fine_tuning"}),
    "featurizer": ("hidden layers featurize, the softmax output layer predicts", {"deep_features"}),
    "batch-norm": ("batch norm counters internal covariate shift, converges faster", {"batchnorm"}),
    "cross-entropy": ("cross-entropy generalises log loss to many classes", {"cross_entropy"}),
    "weight-layers": ("weight layers are kernels (conv) or fully connected", {"tiny_cnn"}),
    "data-augmentation": ("rotate, scale, shear images: more data, robust CNNs", {"augmentation"}),
    "cnn-parts": ("ConvNet part (conv, pool) and MLP part (flatten, dense, dropout)", {"tiny_cnn"}),
    "rnn": ("a recurrent unit over time, 3 weight matrices, weak on long-term dependencies", {"rnn"}),
    "bleu": ("BLEU scores machine translation", {"bleu"}),
    "dropout": ("dropout, one of the essential concepts", {"regularization"}),
}
TABLE_DEMOS = set().union(*(demos for _, demos in IDEAS.values()))

# The notes' misspellings and shorthand, none of which may reach a card.
MISSPELLINGS = ["BLUE", "covariance", "Dese", "understanfing", "layeer", "Signnificance", "immprove"]
REQUIRED_WORDS = ["BLEU", "covariate", "Dense", "internal covariate shift"]

_UNKNOWN_DEMO = re.compile(r"^unknown demo '([^']+)'")


@pytest.fixture(scope="module")
def deck_path() -> Path:
    return bundled_decks_dir() / f"{DECK_KEY}.md"


@pytest.fixture(scope="module")
def cards(deck_path: Path) -> list[Card]:
    """Every card, whether or not its demo exists yet (no demo check)."""
    deck = read_deck(deck_path, known_demos=None)
    assert deck.errors == []
    return deck.cards


def _notes(cards: list[Card]) -> dict[int, Card]:
    """One card per note (a ``##`` section), by the line of its heading."""
    return {c.line: c for c in cards}


def test_bundled_deck_loads_with_the_others(gistquiz_home: Path):
    deck = library.load(gistquiz_home).deck(DECK_KEY)
    assert deck is not None
    assert deck.source == "bundled"
    assert deck.title == "Deep learning: the gist"
    assert "notes" in deck.description


def test_only_errors_are_demos_still_being_written(deck_path: Path, cards: list[Card]):
    """Once every demo in the table exists, the deck must parse with no error at all."""
    known = demo_names()
    deck = read_deck(deck_path, known_demos=known)
    unknown = []
    for err in deck.errors:
        m = _UNKNOWN_DEMO.match(err.message)
        assert m, f"unexpected problem: {err}"
        unknown.append(m.group(1))
    assert set(unknown) <= TABLE_DEMOS - known
    missing = {c.demo for c in cards if c.demo} - known
    assert sorted(unknown) == sorted(c.demo for c in _notes(cards).values() if c.demo in missing)


def test_deck_names_only_demos_from_the_table(cards: list[Card]):
    assert {c.demo for c in cards if c.demo} <= TABLE_DEMOS


@pytest.mark.parametrize("idea", IDEAS)
def test_every_idea_has_two_cards_of_two_kinds(idea: str, cards: list[Card]):
    tagged = [c for c in cards if idea in c.tags]
    assert len(tagged) >= 2, f"{idea}: {len(tagged)} card(s)"
    assert len({c.kind for c in tagged}) >= 2, f"{idea}: only {tagged[0].kind if tagged else 'no'} cards"


@pytest.mark.parametrize("idea", IDEAS)
def test_every_idea_links_a_demo_from_its_row(idea: str, cards: list[Card]):
    _, demos = IDEAS[idea]
    assert any(c.demo in demos for c in cards if idea in c.tags), f"{idea}: no card links {sorted(demos)}"


def test_every_card_names_its_idea(cards: list[Card]):
    untagged = [c.front for c in _notes(cards).values() if not set(c.tags) & IDEAS.keys()]
    assert untagged == []


def test_deck_uses_every_card_kind(cards: list[Card]):
    assert {c.kind for c in cards} == set(Kind)


@pytest.mark.parametrize("word", MISSPELLINGS)
def test_notes_misspellings_are_fixed(word: str, deck_path: Path):
    text = deck_path.read_text(encoding="utf-8")
    flags = 0 if word.isupper() else re.IGNORECASE  # "BLUE" the acronym; "blue" the colour is fine
    assert not re.search(rf"\b{re.escape(word)}\b", text, flags)


@pytest.mark.parametrize("word", REQUIRED_WORDS)
def test_corrected_terms_are_used(word: str, deck_path: Path):
    assert word in deck_path.read_text(encoding="utf-8")


def test_every_note_has_a_unique_id(deck_path: Path, cards: list[Card]):
    ids = re.findall(r"(?m)^id:[ \t]*(\S+)", deck_path.read_text(encoding="utf-8"))
    assert len(ids) == len(set(ids))
    notes = _notes(cards).values()
    assert all(c.note_id for c in notes)
    assert sorted(c.note_id for c in notes) == sorted(ids)
