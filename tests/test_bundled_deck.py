"""The bundled deck "Deep learning: the gist": it loads, covers every idea of the user's notes, and links its demos."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gistquiz import cloze, library
from gistquiz.deck import Card, Kind, read_deck
from gistquiz.locations import bundled_decks_dir
from gistquiz.registry import demo_names

DECK_KEY = "gist-dl"

# The spec: each idea of the notes (seed/gist-dl-notes.txt) is a tag, with what the notes say and the
# demos a card of that idea may link (the demo that shows the card's claim).
IDEAS: dict[str, tuple[str, set[str]]] = {
    "why-deep-learning": ("deep learning took off with lots of data and compute", {"data_and_compute"}),
    "learning-rate": ("the learning rate η is generally small", {"learning_rate"}),
    "conv-kernels": ("a conv layer's weights are organised as kernels", {"conv_kernels", "tiny_cnn", "shapes"}),
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
    # Exercises have a bundled deck of their own (tests/test_bundled_exercises.py).
    assert {c.kind for c in cards} == set(Kind) - {Kind.EXERCISE}


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


# --- issue 25: the cards an instructor's review named ----------------------------------------------------

SURVIVING_IDS = [
    "bn-faster",
    "bn-covariate-shift",
    "bn-name",
    "reg-why-l1-sparse",
    "early-layers-detect",
    "reg-techniques",
    "dl-data-and-compute",
    "reg-l1-l2-penalties",
    "ft-recipe",
    # split: the id stays on the main fact
    "ft-small-lr",
    "dropout-why",
    "conv-sobel",
    "rnn-long-term",
    "dl-scales-with-data",
]
"""Cards the review rewrote or split: their ids must survive so that learners' history follows them."""

MISCONCEPTIONS = {
    # what a learner with these notes may believe -> words the card's front must hold
    "regularization removes all useless weights": ("regularization", "all useless weights"),
    "batch norm uses batch statistics at test time": ("batch norm", "test"),
    "cross-entropy is only for deep nets": ("cross-entropy", "deep"),
    "weight layers are only conv or FC": ("only", "convolutional", "fully connected"),
}


def _by_id(cards: list[Card]) -> dict[str, list[Card]]:
    out: dict[str, list[Card]] = {}
    for c in cards:
        out.setdefault(c.note_id or "", []).append(c)
    return out


@pytest.mark.parametrize("note_id", SURVIVING_IDS)
def test_reviewed_cards_keep_their_ids(note_id: str, cards: list[Card]):
    assert note_id in _by_id(cards)


@pytest.mark.parametrize("belief", MISCONCEPTIONS)
def test_each_likely_misconception_has_a_true_false_or_choice_card(belief: str, cards: list[Card]):
    tagged = [c for c in cards if "misconception" in c.tags]
    matching = [card for card in tagged if all(w in card.front.lower() for w in MISCONCEPTIONS[belief])]
    assert len(matching) == 1, (belief, [c.front for c in tagged])
    card = matching[0]
    assert card.kind is Kind.CHOICE
    right = [o.text for o in card.options if o.correct]
    assert len(right) == 1
    # The belief is false: the right option rejects it.
    assert right[0].split(":")[0].strip() in ("False", "No")
    assert set(card.tags) & IDEAS.keys()


def test_batch_norm_cards_present_covariate_shift_as_history():
    by_id = _by_id(read_deck(bundled_decks_dir() / f"{DECK_KEY}.md").cards)
    faster = by_id["bn-faster"][0].back
    assert "Santurkar" in faster and "leading explanation" in faster and "history" in faster
    assert "measures" in faster  # says what the demo measures
    assert by_id["bn-santurkar"]
    assert "Ioffe & Szegedy" in by_id["bn-name"][0].front


def test_l1_sparsity_card_names_the_kink_and_the_proximal_step(cards: list[Card]):
    back = _by_id(cards)["reg-why-l1-sparse"][0].back
    assert "kink" in back and "soft-threshold" in back and "subgradient" in back


def test_early_layers_card_agrees_with_what_conv_kernels_measures(cards: list[Card]):
    card = _by_id(cards)["early-layers-detect"][0]
    assert card.demo == "conv_kernels"
    assert "photo" in card.back and "not guaranteed" in card.back
    assert "synthetic" in card.back  # where this net does learn them (conv_kernels' edges run)


@pytest.mark.parametrize(
    ("note_id", "words"),
    [
        ("reg-techniques", ("implicit", "learning rate")),
        ("dl-algorithmic-advances", ("ReLU", "initialisation", "dropout", "batch normalization")),
        ("dl-lenet", ("LeNet",)),
    ],
)
def test_history_and_implicit_regularisation_are_stated(note_id: str, words: tuple[str, ...], cards: list[Card]):
    card = _by_id(cards)[note_id][0]
    text = card.back + " ".join(o.text for o in card.options)
    assert all(w in text for w in words), (note_id, words)


_GENERIC = {"layer", "layers", "only", "with", "from", "that", "this"}
"""Words a hidden phrase may share with its note without giving the answer away."""


def test_no_cloze_gives_its_answer_away(cards: list[Card]):
    """The hidden words must not stand elsewhere in the note (the ImageNet parenthesis, "(λ·Σ|w|)")."""
    checked = 0
    for card in cards:
        if card.kind is not Kind.CLOZE:
            continue
        for hidden in cloze.answers(card.cloze_text, card.cloze_index):
            rest = cloze.plain(card.cloze_text).lower().replace(hidden.lower(), " ", 1)
            stems = {w[:5] for w in re.findall(r"\w{4,}", hidden.lower()) if w not in _GENERIC}
            others = {w[:5] for w in re.findall(r"\w{4,}", rest)}
            assert not stems & others, (card.note_id, hidden)
            checked += 1
    assert checked >= 10
    text = (bundled_decks_dir() / f"{DECK_KEY}.md").read_text(encoding="utf-8")
    assert "(λ·Σ|w|)" not in text and "ImageNet) and enough" not in text


def test_regularization_numbers_on_cards_match_the_demo(cards: list[Card]):
    """The cards quote the regularization demo at its defaults, seed 0: those numbers must be its own."""
    import regularization  # demos/ is on the test path (see conftest)

    metrics = regularization.report(regularization.run(seed=0)).metrics
    quoted = f"{metrics['noise_zeros_l1']} of the {metrics['noise_weights']}"
    by_id = _by_id(cards)
    for note_id in ("reg-why-l1-sparse", "reg-misconception-removes-all"):
        assert quoted in by_id[note_id][0].back, (note_id, quoted)
    assert metrics["noise_zeros_l1_subgradient"] == 0  # "plain subgradient SGD ... zeroes none"
