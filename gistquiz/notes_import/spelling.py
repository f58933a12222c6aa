"""Suspected misspellings of technical terms, flagged for the learner, never corrected.

Hand-written notes misspell the very terms they are about ("softmx", "BLUE" for
BLEU). A card that drills a misspelling teaches it, but a correction the tool
makes on its own can be wrong ("covariance" is a word; so is "centre"). So the
importer only flags: each card's comment lists the words that look like a known
term misspelt, with the term they are close to, and the learner decides.

A word is suspect when it is not a known word and lies within a small edit
distance (Damerau-Levenshtein, the grader's: one typo up to 7 letters, two from
8) of a *term*: one of :data:`TERMS`, or a word the bundled decks write as a
name (an acronym, CamelCase, with a digit). Ordinary English words are not
terms, so a plain typo of one ("immprove") is not caught: without a dictionary,
flagging near ordinary words flagged more correct words than typos. Known words
are every word of the bundled decks, :data:`TERMS` and the words the notes use
twice or more; an inflection (``trees`` / ``tree``) is not a typo. An
all-capitals word is compared with acronyms only ("BLUE" is close to "BLEU").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_TERMS_TEXT = """
activation adam adagrad adaboost attention autoencoder backprop backpropagation bagging batch
batchnorm bert bias bleu boosting centroid centroids classifier clustering convolution convolutional
convnet cosine dbscan decoder dense dropout eigenvalue eigenvector eigenvectors embedding embeddings
encoder entropy epoch epochs feature features gaussian gelu gini gradient gradients hyperparameter
hyperparameters imagenet inference kernel kernels lasso layer layers leakage lightgbm logistic logit
logits lstm matrix maxpooling momentum normalization normalisation optimizer optimiser overfit
overfitting perceptron perplexity pooling precision preprocessing pruning regression regularization
regularisation regularizer relu residual residuals ridge rmsprop rouge sigmoid softmax stride svd
tanh tensor tokenization tokenizer transformer underfit underfitting variance vector weights xgboost
"""
TERMS = frozenset(_TERMS_TEXT.split())
"""The package's own terms, beside the bundled decks' words: the ML vocabulary notes are about."""

MIN_LETTERS = 4
_TOKEN = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z']*[A-Za-z](?![\w-])")
_SUFFIXES = ("s", "es", "'s", "d", "ed", "ing", "ly", "r", "er", "ers")
_NAME = re.compile(r"[A-Z]{3,}|[A-Za-z]+[A-Z][A-Za-z]*")


@dataclass(frozen=True)
class Suspect:
    word: str
    term: str
    """The known term it is close to."""


@lru_cache(maxsize=1)
def bundled_words() -> frozenset[str]:
    """Every word of the bundled decks, lower-cased (read once; the decks are a few kB)."""
    from gistquiz.locations import bundled_decks_dir

    words: set[str] = set()
    for path in sorted(bundled_decks_dir().glob("*.md")):
        words.update(w.lower() for w in _TOKEN.findall(path.read_text(encoding="utf-8")))
    return frozenset(words)


@dataclass(frozen=True)
class Vocabulary:
    known: frozenset[str]
    """Lower-cased words that are never flagged."""
    terms: tuple[str, ...]
    """Words a suspect may be a misspelling of, as written (case matters for acronyms)."""


def vocabulary(notes_text: str, deck_words: Iterable[str] | None = None) -> Vocabulary:
    """The known words and terms for one notes file: the bundled decks', :data:`TERMS` and its repeated words."""
    deck = frozenset(w.lower() for w in deck_words) if deck_words is not None else bundled_words()
    counts = Counter(w.lower() for w in _TOKEN.findall(notes_text))
    known = deck | TERMS | {w for w, n in counts.items() if n >= 2}
    terms = {w for w in TERMS if len(w) >= 5} | _names()
    return Vocabulary(frozenset(known), tuple(sorted(terms)))


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    """The words the bundled decks write as names: BLEU, ReLU, LeNet, W_hh (as written)."""
    from gistquiz.locations import bundled_decks_dir

    found: set[str] = set()
    for path in bundled_decks_dir().glob("*.md"):
        found.update(w for w in _TOKEN.findall(path.read_text(encoding="utf-8")) if _NAME.fullmatch(w))
    return frozenset(found | {"BLEU", "ROUGE", "LSTM", "GELU", "DBSCAN", "BERT"})


def suspects(text: str, vocab: Vocabulary) -> list[Suspect]:
    """The words of ``text`` that look like a term of ``vocab`` misspelt, each once, in order."""
    from gistquiz.grading import edit_distance

    out: list[Suspect] = []
    seen: set[str] = set()
    for word in _TOKEN.findall(text):
        if word in seen or len(word) < MIN_LETTERS:
            continue
        seen.add(word)
        shouty = word.isupper()
        if not shouty and _known(word.lower(), vocab.known):
            continue
        limit = 1 if len(word) <= 7 else 2
        best: tuple[int, str] | None = None
        for term in vocab.terms:
            if shouty != term.isupper() or term.lower() == word.lower():
                continue
            if term[0].lower() != word[0].lower() or abs(len(term) - len(word)) > limit:
                continue
            d = edit_distance(word.lower(), term.lower())
            if d <= limit and (best is None or d < best[0]) and not _inflection(term.lower(), word.lower()):
                best = (d, term)
        if best is not None:
            out.append(Suspect(word, best[1]))
    return out


def _known(word: str, known: frozenset[str]) -> bool:
    if word in known:
        return True
    for suffix in _SUFFIXES:
        if word + suffix in known:
            return True
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if base in known or base + "e" in known:
                return True
    return False


def _inflection(a: str, b: str) -> bool:
    """``trees`` / ``tree``, ``gives`` / ``give``, ``centred`` / ``centre``: one word, not a typo of it."""
    return _known(a, frozenset([b])) or _known(b, frozenset([a]))
