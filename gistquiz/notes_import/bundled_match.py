"""The bundled card nearest an imported one: its demo to link, and a misconception it may repeat.

Notes about topics the bundled decks cover ("regularization removes all useless
Weights") should meet the bundled card on the same topic, its demo, and, when
the statement is one of the mistakes a misconception card names, a flag. The
topic is found with word TF-IDF (scikit-learn, imported only when notes are
imported), which finds the topic but cannot tell a statement from its
negation ("batch statistics at test time" vs "running statistics"): so a
contradiction is only ever suggested where the statement is close to a
misconception card, whose whole point is that belief, and worded as a question
for the learner.

Thresholds, measured on the seed notes and the four notes files in
``tests/data/notes`` (``tests/data/notes/LABELS.md``): at a cosine of 0.45 the
seed's links are all on the card's topic and the unseen notes get 2; at 0.35
to a misconception card, the seed's "removes all useless Weights" and "Log Loss
... in case of Deep NN" are flagged and no line of the unseen notes is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

LINK_SIMILARITY = 0.45
MISCONCEPTION_SIMILARITY = 0.35
MISCONCEPTION_TAG = "misconception"


@dataclass(frozen=True)
class Bundled:
    note_id: str
    front: str
    demo: str | None
    misconception: bool
    text: str


@dataclass(frozen=True)
class Match:
    nearest: Bundled | None
    """The bundled card on the same topic (similarity at least :data:`LINK_SIMILARITY`)."""
    misconception: Bundled | None
    """A misconception card the statement is close to (at least :data:`MISCONCEPTION_SIMILARITY`)."""


@lru_cache(maxsize=1)
def bundled_cards() -> tuple[Bundled, ...]:
    """One entry per note of the bundled decks (a note's sibling cards share it)."""
    from gistquiz import cloze
    from gistquiz.deck import read_deck
    from gistquiz.locations import bundled_decks_dir

    out: dict[tuple[str, int], Bundled] = {}
    for path in sorted(bundled_decks_dir().glob("*.md")):
        for c in read_deck(path).cards:
            if (c.deck, c.line) in out or c.key.endswith("/rev"):
                continue  # a reversed note's other side
            back = cloze.plain(c.cloze_text) if c.cloze_text else c.back
            text = " ".join([c.front, back, *(o.text for o in c.options)])
            out[(c.deck, c.line)] = Bundled(c.note_id or c.key, c.front, c.demo, MISCONCEPTION_TAG in c.tags, text)
    return tuple(out.values())


def nearest(texts: list[str], cards: tuple[Bundled, ...] | None = None) -> list[Match]:
    """For each imported card's text, the nearest bundled card and a misconception it is close to."""
    cards = bundled_cards() if cards is None else cards
    if not texts or not cards:
        return [Match(None, None) for _ in texts]
    from sklearn.metrics.pairwise import cosine_similarity

    vec, matrix = _model(cards)
    sim = cosine_similarity(vec.transform(texts), matrix)  # (n_texts, n_cards)
    misconceptions = [j for j, c in enumerate(cards) if c.misconception]
    out = []
    for row in sim:
        j = int(row.argmax())
        near = cards[j] if row[j] >= LINK_SIMILARITY else None
        m = max(misconceptions, key=lambda k: row[k], default=None)
        wrong = cards[m] if m is not None and row[m] >= MISCONCEPTION_SIMILARITY else None
        out.append(Match(near, wrong))
    return out


@lru_cache(maxsize=4)
def _model(cards: tuple[Bundled, ...]):
    """Word TF-IDF fitted on the bundled cards, and their vectors (fitted once per process)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit([c.text for c in cards])
    return vec, vec.transform([c.text for c in cards])  # (n_cards, vocabulary)
