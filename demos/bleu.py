"""BLEU scores a translation by its clipped n-gram overlap with reference translations, times a brevity penalty.

BLEU (Papineni et al. 2002) is the standard automatic metric for machine
translation. For each order n = 1..4 it counts the hypothesis n-grams that
also occur in a reference, **clipped**: an n-gram is credited at most as often
as it occurs in the one reference that has it most often, so repeating a
common word ("the the the the") does not pay. The modified precision is

    p_n = clipped matches / hypothesis n-grams.

Precision alone rewards saying little, so a **brevity penalty**
``BP = exp(1 - r/c)`` (c: hypothesis length, r: the reference length closest
to it; 1 when c > r) punishes hypotheses shorter than their references:

    BLEU = BP * exp(sum_n w_n log p_n),   w_n = 1/4.

One wrong word breaks up to four n-grams, and a correct bag of words in the
wrong order matches unigrams only. A corpus score sums the counts of all
sentences before dividing (a micro-average), so it is not the mean of the
sentence scores.

Two implementations are in wide use, and they differ on edge cases; ``flavor``
picks which one to reproduce exactly:

- ``"nltk"`` (``nltk.translate.bleu_score.corpus_bleu`` / ``sentence_bleu``):
  every sentence adds at least 1 to each order's denominator, even a
  hypothesis shorter than n; without smoothing a zero precision is replaced by
  the smallest float, so the score is about 1e-77, not 0; no unigram match
  returns 0.
- ``"sacrebleu"`` (``sacrebleu.BLEU(tokenize="none")``, score / 100): true
  denominators; without smoothing a zero precision gives exactly 0; an order
  with no hypothesis n-grams at all (after add-k's +1) ends the product, and
  the score is 0. Its
  ``sentence_bleu`` averages only over orders that have n-grams ("effective
  order"), and so does :func:`sentence_bleu` here with this flavor;
  :func:`corpus_bleu` does not, as sacrebleu's corpus score does not.

Smoothing (Chen & Cherry 2014) matters for single sentences: ``"floor"``
(nltk ``method1``) counts 0.1 matches for an order with none, ``"add-k"``
(``method2``) adds 1 to the matches and totals of every order n >= 2, and
``"exp"`` (``method3``, the NIST rule and sacrebleu's default) replaces the
k-th zero precision with 1 / (2^k total). With smoothing, the two flavors agree
whenever every hypothesis has at least four words.

The counting is vectorised with NumPy: each word becomes an integer id (numbered
by hashing, per block of sentences), each token one integer key (its sentence,
the next four word ids, which segment), and one sort of these keys (each
sentence's as a row) lines up the n-grams of every order for hundreds of
sentences at once; a running count of each segment's tokens in that order,
packed in one int64, gives every n-gram's count per segment by one subtraction.
:func:`corpus_bleu_text` takes raw lines as sacrebleu does and splits them as
UTF-8 bytes in NumPy, a few thousand lines at a time, without making a Python
string per word: on 10,000 two-reference sentences, from the same raw strings,
it takes about 1/25 of sacrebleu's CPU time (1/21 of its wall time on a busy
2-core machine), and its time grows linearly with the corpus
(``benchmarks/bench_bleu.py``).

References: Papineni, Roukos, Ward & Zhu 2002, "BLEU: a method for automatic
evaluation of machine translation"; Chen & Cherry 2014, "A Systematic
Comparison of Smoothing Techniques for Sentence-Level BLEU"; Post 2018, "A Call
for Clarity in Reporting BLEU Scores" (sacrebleu); nltk's ``bleu_score.py``.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import chain

import numpy as np
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes

SMOOTHINGS = ("none", "floor", "add-k", "exp")
FLAVORS = ("nltk", "sacrebleu")
FLOOR_EPSILON = 0.1  # nltk SmoothingFunction(epsilon=0.1).method1 == sacrebleu smooth_method="floor"
ADD_K = 1  # nltk method2 == sacrebleu smooth_method="add-k" with its default k = 1
BLOCK = 500  # sentences counted together: arrays small enough to stay in the CPU cache
SPLIT_CHUNK = 3000  # lines split into words together, for the same reason

PARAMS = [
    Param("smoothing", "exp", "how an order with no matching n-gram is scored", choices=SMOOTHINGS),
    Param("flavor", "nltk", "whose edge-case rules to follow", choices=FLAVORS),
    Param("max_n", 4, "longest n-gram counted (weights 1/max_n each)", low=1, high=4),
]

Tokens = Sequence[str]


# --------------------------------------------------------------------------- counting n-grams


@dataclass
class NgramCounts:
    """The sufficient statistics of BLEU, one row per sentence.

    ``matches[i, n-1]`` is the clipped count of hypothesis i's n-grams,
    ``totals[i, n-1]`` its number of n-grams (``max(0, hyp_len - n + 1)``),
    ``ref_len[i]`` the length of its reference closest in length (the shorter
    one on a tie).
    """

    hyp_len: np.ndarray  # (S,)
    ref_len: np.ndarray  # (S,)
    matches: np.ndarray  # (S, N)
    totals: np.ndarray  # (S, N)


def check_corpus(list_of_references: Sequence[Sequence[Tokens]], hypotheses: Sequence[Tokens]) -> None:
    """Refuse inputs that nltk would silently misread (a string is a sequence of characters)."""
    if len(list_of_references) != len(hypotheses):
        raise ValueError(
            f"{len(hypotheses)} hypotheses but {len(list_of_references)} reference lists: "
            "list_of_references[i] must hold the references of hypotheses[i]"
        )
    if not hypotheses:
        raise ValueError("the corpus is empty: BLEU needs at least one hypothesis")
    for i, (refs, hyp) in enumerate(zip(list_of_references, hypotheses, strict=True)):
        if isinstance(hyp, str):
            raise TypeError(f"hypothesis {i} is a string; pass a list of tokens, e.g. text.split()")
        if isinstance(refs, str) or any(isinstance(ref, str) for ref in refs):
            raise TypeError(f"list_of_references[{i}] must be a list of token lists, not of strings")
        if len(refs) == 0:
            raise ValueError(f"hypothesis {i} has no reference")


def closest_ref_len(hyp_len: np.ndarray, ref_lens: np.ndarray, has_ref: np.ndarray) -> np.ndarray:
    """The reference length nearest each hypothesis length; on a tie the shorter one.

    Parameters
    ----------
    hyp_len : (S,) hypothesis lengths
    ref_lens : (S, R) reference lengths, padded
    has_ref : (S, R) True where ``ref_lens`` holds a real reference
    """
    width = int(ref_lens.max(initial=0)) + 1
    key = np.abs(ref_lens - hyp_len[:, None]) * width + ref_lens  # (S, R) distance first, then length
    key = np.where(has_ref, key, np.iinfo(np.int64).max)  # (S, R)
    return key.min(axis=1) % width  # (S,)


def clipped_matches(key: np.ndarray, n_roles: int, bounds: np.ndarray) -> np.ndarray:
    """Clipped match count per sentence, from one integer key per n-gram occurrence.

    Parameters
    ----------
    key : (K,) ``ngram * n_roles + role``: role 0 for the hypothesis, 1, 2, ...
        for its references; ``ngram`` includes the sentence
    bounds : (S + 1,) sentence s owns the ngram codes ``bounds[s] <= ngram < bounds[s + 1]``
    """
    if key.size == 0:  # every hypothesis is shorter than n
        return np.zeros(len(bounds) - 1, np.int64)
    key = np.sort(key)  # (K,) equal n-grams together: the hypothesis's (role 0) first, then each reference's
    start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))  # (U,) runs of equal keys
    count = np.diff(start, append=len(key))  # (U,) occurrences of an n-gram in one segment
    ngram = key[start] // n_roles  # (U,)
    hyp = np.flatnonzero(key[start] == ngram * n_roles)  # (H,) the runs of hypothesis n-grams (role 0)
    ngram, count = np.append(ngram, -1), np.append(count, 0)  # (U + 1,) a sentinel run after the last
    in_refs = np.zeros(len(hyp), np.int64)  # (H,) most occurrences in one reference
    for k in range(1, n_roles):  # the next runs, if they hold the same n-gram, are its references
        ref = np.minimum(hyp + k, len(start))  # (H,)
        in_refs = np.maximum(in_refs, count[ref] * (ngram[ref] == ngram[hyp]))
    clipped = np.concatenate(([0], np.cumsum(np.minimum(count[hyp], in_refs))))  # (H + 1,) running total
    edges = np.searchsorted(ngram[hyp], bounds)  # (S + 1,) first hypothesis run of each sentence
    return np.diff(clipped[edges])  # (S,)


@dataclass
class Segments:
    """A corpus as word ids: each hypothesis, then its references, laid end to end."""

    word: np.ndarray  # (L,) ids 0 .. vocab_size - 1, or (vocab_size 0) any int64 key, one per distinct word
    seg_len: np.ndarray  # (M,) tokens per segment; M = S + total references
    n_refs: np.ndarray  # (S,) references per hypothesis
    vocab_size: int


def encode_tokens(list_of_references: Sequence[Sequence[Tokens]], hypotheses: Sequence[Tokens]) -> Segments:
    """Token lists (nltk's layout) to word ids."""
    check_corpus(list_of_references, hypotheses)
    n_refs = np.fromiter(map(len, list_of_references), np.int64, len(hypotheses))  # (S,)
    segments = [seg for hyp, refs in zip(hypotheses, list_of_references, strict=True) for seg in (hyp, *refs)]
    seg_len = np.fromiter(map(len, segments), np.int64, len(segments))  # (M,)
    tokens = list(chain.from_iterable(segments))
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(tokens))}
    word = np.fromiter(map(vocab.__getitem__, tokens), np.int64, len(tokens))  # (L,)
    return Segments(word, seg_len, n_refs, len(vocab))


# What ``str.split()`` splits on: NUL (our segment separator), ASCII whitespace, and beyond ASCII these.
SPLIT_BYTES = np.zeros(256, bool)
SPLIT_BYTES[[0, 9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
WORD_MASK = np.array([(1 << 8 * k) - 1 for k in range(8)] + [-1], np.int64)  # WORD_MASK[k]: a word's k bytes
LONG_WORD = np.int64(-(2**62))  # keys of words over 8 bytes: no word of 1-8 UTF-8 bytes has 0xC0 as last byte


def encode_text(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]]) -> Segments:
    """Lines (sacrebleu's layout: ``references[k][i]`` is the k-th reference of line i, or None) to word keys.

    Words are what ``str.split()`` gives, as with sacrebleu's ``tokenize="none"``. Splitting
    into Python strings costs more than all the counting, so the lines are split as UTF-8
    bytes with NumPy instead, and a word of up to 8 bytes is its own key (its bytes as one
    int64); only longer words become Python strings, numbered with a dict.
    """
    if isinstance(hypotheses, str) or any(isinstance(stream, str) for stream in references):
        raise TypeError("pass a list of hypothesis lines and a list of reference streams (lists of lines)")
    for k, stream in enumerate(references):
        if len(stream) != len(hypotheses):
            raise ValueError(f"reference stream {k} has {len(stream)} lines but there are {len(hypotheses)} hypotheses")
    if not hypotheses:
        raise ValueError("the corpus is empty: BLEU needs at least one hypothesis")
    if references and all(None not in stream for stream in references):  # every line has every reference
        n_refs = np.full(len(hypotheses), len(references), np.int64)  # (S,) without a tuple per line
        segments = list(chain.from_iterable(zip(hypotheses, *references, strict=True)))
    else:
        per_line = refs_per_line(references, len(hypotheses))
        n_refs = np.fromiter(map(len, per_line), np.int64, len(hypotheses))  # (S,)
        segments = [seg for hyp, refs in zip(hypotheses, per_line, strict=True) for seg in (hyp, *refs)]
    split = split_chunks(segments)
    if split is None:  # a line holds a NUL or a non-ASCII space: split it the slow way
        per_line = refs_per_line(references, len(hypotheses))
        return encode_tokens([[ref.split() for ref in refs] for refs in per_line], [h.split() for h in hypotheses])
    word, seg_len = split
    return Segments(word, seg_len, n_refs, 0)


def refs_per_line(references: Sequence[Sequence[str | None]], n_lines: int) -> list[list[str]]:
    """The references of each line (sacrebleu's streams turned around), refusing a line with none."""
    per_line = [[ref for ref in refs if ref is not None] for refs in zip(*references, strict=True)]
    for i, refs in enumerate(per_line or [[]] * n_lines):
        if not refs:
            raise ValueError(f"hypothesis {i} has no reference")
    return per_line


def split_chunks(segments: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`split_bytes` of ``SPLIT_CHUNK`` segments at a time, end to end.

    In one piece, 100,000 sentences are 25 MB of text and each pass over it leaves the CPU cache: the
    split took 23x the time of 10,000 sentences. In pieces of a few hundred KB it grows linearly.
    """
    numbers: dict[bytes, int] = {}  # one numbering of the long words for the whole corpus
    parts = []
    for i in range(0, len(segments), SPLIT_CHUNK):
        part = split_bytes(segments[i : i + SPLIT_CHUNK], numbers)
        if part is None:
            return None
        parts.append(part)
    return np.concatenate([word for word, _ in parts]), np.concatenate([seg_len for _, seg_len in parts])


def split_bytes(segments: list[str], numbers: dict[bytes, int] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Word keys (L,) and words per segment (M,) of ``segments``, as ``str.split`` would cut them.

    ``numbers`` numbers the words longer than 8 bytes (pass the same dict to split a corpus in pieces).
    """
    text = "\x00".join(segments)
    if text.count("\x00") != len(segments) - 1 or (not text.isascii() and UNICODE_SPACE.search(text)):
        return None
    raw = text.encode() + bytes(8)  # 8 NULs: every word's next 8 bytes can be read
    b = np.frombuffer(raw, np.uint8)  # (N + 8,)
    is_split = np.empty(len(b) + 1, bool)  # (N + 9,) is_split[i + 1]: byte i splits; a split before the text
    is_split[0] = True
    np.less_equal(b, 32, out=is_split[1:])  # the bytes str.split splits on, and the control bytes 1-8, 14-27
    if np.any((b - np.uint8(1) < 8) | (b - np.uint8(14) < 14)):  # (wrapping uint8) a rare control byte: look up each
        SPLIT_BYTES.take(b, out=is_split[1:])
    # From a split to the trailing NULs, the changes alternate: a word starts, a word ends (one pass finds both).
    changes = np.flatnonzero(is_split[1:] != is_split[:-1])  # (2L,)
    starts, ends = changes[0::2], changes[1::2]  # (L,) each word's first byte, one past its last
    seg_start = np.concatenate(([0], np.flatnonzero(b[:-8] == 0) + 1, [len(b)]))  # (M + 1,) first byte of each
    seg_len = np.diff(np.searchsorted(starts, seg_start))  # (M,) words starting in each segment
    length = ends - starts  # (L,)
    eight = np.ndarray((len(b) - 7,), np.int64, raw, strides=(1,))  # (N + 1,) the 8 bytes from each offset
    word = eight.take(starts) & WORD_MASK[np.minimum(length, 8)]  # (L,) NUL-free words: zero padding is unambiguous
    long = np.flatnonzero(length > 8)
    if len(long):
        numbers = {} if numbers is None else numbers
        words = [raw[i:j] for i, j in zip(starts[long].tolist(), ends[long].tolist(), strict=True)]
        word[long] = LONG_WORD + np.fromiter((numbers.setdefault(w, len(numbers)) for w in words), np.int64, len(long))
    return word, seg_len


def count_ngrams(
    list_of_references: Sequence[Sequence[Tokens]], hypotheses: Sequence[Tokens], max_n: int = 4
) -> NgramCounts:
    """Clipped n-gram matches for orders 1..max_n, for every sentence of the corpus."""
    return count_segments(encode_tokens(list_of_references, hypotheses), max_n)


def count_segments(corpus: Segments, max_n: int) -> NgramCounts:
    """:func:`count_ngrams` of an encoded corpus, in blocks of ``BLOCK`` sentences.

    Each block is a handful of whole-array NumPy operations, and its arrays stay
    small enough for the CPU cache.
    """
    seg_start = np.concatenate(([0], np.cumsum(corpus.seg_len)))  # (M + 1,) first token of each segment
    first_seg = np.concatenate(([0], np.cumsum(corpus.n_refs + 1)))  # (S + 1,) first segment of each sentence
    seen = np.zeros(corpus.vocab_size, bool) if corpus.vocab_size else None  # scratch for block-local ids
    blocks = []
    for s in range(0, len(corpus.n_refs), BLOCK):
        s1 = min(s + BLOCK, len(corpus.n_refs))
        m0, m1 = first_seg[s], first_seg[s1]
        word = corpus.word[seg_start[m0] : seg_start[m1]]
        blocks.append(count_block(word, corpus.seg_len[m0:m1], corpus.n_refs[s:s1], max_n, seen))
    return NgramCounts(*(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(NgramCounts)))


def count_block(
    word: np.ndarray, seg_len: np.ndarray, n_refs: np.ndarray, max_n: int, seen: np.ndarray | None
) -> NgramCounts:
    """:func:`count_ngrams` for a block of sentences, all at once.

    Parameters
    ----------
    word : (L,) word ids of the block's segments, end to end
    seg_len : (M,) tokens per segment; n_refs : (S,) references per sentence
    seen : (V,) False everywhere, used as scratch and left False; None when ``word`` holds keys, not ids
    """
    S = len(n_refs)
    seg_sentence = np.repeat(np.arange(S), n_refs + 1)  # (M,)
    hyp_seg = np.cumsum(n_refs + 1) - (n_refs + 1)  # (S,) index of each hypothesis segment
    seg_role = np.arange(len(seg_len)) - hyp_seg[seg_sentence]  # (M,) 0 = hypothesis, k = k-th reference

    is_ref = seg_role > 0
    ref_lens = np.zeros((S, int(n_refs.max())), np.int64)  # (S, R)
    ref_lens[seg_sentence[is_ref], seg_role[is_ref] - 1] = seg_len[is_ref]
    has_ref = np.arange(ref_lens.shape[1]) < n_refs[:, None]  # (S, R)
    hyp_len = seg_len[hyp_seg]  # (S,)

    # Number the block's words 1..V_b in id order (0 is kept for "past the segment's end").
    if seen is not None:  # ids below V: rank them without a sort
        seen[word] = True
        rank = np.cumsum(seen)  # (V,)
        local = rank[word]  # (L,)
        V_b = int(rank[-1]) if len(rank) else 0
        seen[word] = False
    else:
        local, V_b = number_keys(word)
    tok_seg = np.repeat(np.arange(len(seg_len)), seg_len)  # (L,)
    tok = BlockTokens(
        local=local,
        sentence=seg_sentence[tok_seg],
        role=seg_role[tok_seg],
        room=np.cumsum(seg_len)[tok_seg] - np.arange(len(word)),  # (L,) tokens from here to segment end
    )
    n_roles = int(n_refs.max()) + 1
    bits = (S - 1).bit_length() + max_n * word_bits(V_b) + (n_roles - 1).bit_length()
    fits = bits <= 63 and n_roles * len(word).bit_length() <= 63  # the key, and the packed role counts
    count = matches_one_sort if fits else matches_chained
    matches = count(tok, S, V_b, n_roles, max_n)

    totals = np.maximum(0, hyp_len[:, None] - np.arange(max_n))  # (S, N) hypothesis n-grams
    return NgramCounts(hyp_len, closest_ref_len(hyp_len, ref_lens, has_ref), matches, totals)


# Odd 64-bit multipliers (Fibonacci hashing and three more): one hash function per round of number_keys.
HASH_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], np.uint64)


def number_keys(word: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the distinct keys of ``word`` (L,) 1..V: returns the numbers (L,) and V.

    The same numbering ``np.unique(word, return_inverse=True)`` gives (up to order), without its
    sort: each key is hashed to a slot of a table and written there; a key that reads its own
    value back owns the slot, and the keys that lost theirs to another key (a collision) try again
    with the next hash function in a fresh table. The slots in use are then numbered in slot
    order. About a quarter of ``np.unique``'s time on a block of 30,000 words.
    """
    bits = max(16, min(24, (2 * len(word)).bit_length()))  # tables about twice the keys: few collisions
    size = 1 << bits
    table = np.empty(size, np.int64)
    slot = np.empty(len(word), np.int64)  # (L,) the slot each key owns, over all rounds
    todo, rest, rounds = np.arange(len(word)), word, 0
    while len(todo):
        multiplier = HASH_MULTIPLIERS[rounds % len(HASH_MULTIPLIERS)] + np.uint64(2 * (rounds // len(HASH_MULTIPLIERS)))
        h = ((rest.view(np.uint64) * multiplier) >> np.uint64(64 - bits)).astype(np.int64)  # (T,) wraps mod 2^64
        table[h] = rest  # one of the keys hashed to a slot is left there
        slot[todo] = h + rounds * size  # the losers' slots are written again in a later round
        lost = table[h] != rest  # (T,)
        todo, rest, rounds = todo[lost], rest[lost], rounds + 1
    used = np.zeros(rounds * size, bool)  # (rounds * size,)
    used[slot] = True
    in_use = np.flatnonzero(used)  # (V,) a few thousand of the slots: cheaper than a running count over all
    number = np.empty(rounds * size, np.int64)  # (rounds * size,) read only at the slots in use
    number[in_use] = np.arange(1, len(in_use) + 1)
    return number[slot], len(in_use)


@dataclass
class BlockTokens:
    """Per token of a block: its block-local word id (1..V_b), sentence, role (0 = hypothesis) and room."""

    local: np.ndarray  # (L,)
    sentence: np.ndarray  # (L,)
    role: np.ndarray  # (L,)
    room: np.ndarray  # (L,) tokens from here to the end of its segment, itself included


def matches_one_sort(tok: BlockTokens, S: int, V_b: int, n_roles: int, max_n: int) -> np.ndarray:
    """Clipped matches (S, max_n) from one sort of every token's max_n-gram.

    Each token's key is its sentence, the next ``max_n`` word ids and its role,
    packed into one int64 (``word_bits(V_b)`` bits a word). Sorted, the n-grams of
    every order n are runs sharing the key's first n words: one sort serves all
    orders. A running count of each role's tokens, taken once (all roles packed in
    one int64), gives every run's count per role by one subtraction, so each order
    costs one pass to find its runs and then work in proportion to the runs.
    """
    w, rb = word_bits(V_b), (n_roles - 1).bit_length()
    L = len(tok.local)
    # Past a segment's end the hypothesis reads word 0 and its references word V_b + 1: an n-gram
    # that does not fit in its segment then never matches one of another role, and clips to 0.
    pad = np.where(tok.role > 0, V_b + 1, 0)  # (L,)
    padded = np.concatenate((tok.local, np.zeros(max_n, np.int64)))  # (L + max_n,)
    key = tok.sentence.astype(np.int64)  # (L,)
    for k in range(max_n):
        key = (key << w) | np.where(tok.room > k, padded[k : k + L], pad)  # (L,) append the k-th next word
    key = sort_by_sentence((key << rb) | tok.role, tok.sentence, S)  # (L,)
    matches = np.zeros((S, max_n), np.int64)
    if L == 0:
        return matches
    field = L.bit_length()  # bits of one role's count in the packed counts
    before = np.zeros(L + 1, np.int64)  # (L + 1,) tokens of role r before position i, in bits r * field ...
    np.cumsum(np.left_shift(1, (key & ((1 << rb) - 1)) * field), out=before[1:])
    bounds = np.searchsorted(tok.sentence, np.arange(S + 1))  # (S + 1,) sentences keep their places in the sort
    # Where neighbours differ: a run of order n starts where they differ above the bits of words n+1.. and role.
    differs = np.empty(L, np.int64)  # (L,) key[i] ^ key[i - 1], all bits set at 0
    differs[0] = np.iinfo(np.int64).max
    np.bitwise_xor(key[1:], key[:-1], out=differs[1:])
    for n in range(1, max_n + 1):
        starts = np.flatnonzero(differs >= (1 << w * (max_n - n) + rb))  # (U,) first token of each n-gram
        per_role = np.diff(before.take(np.append(starts, L)))  # (U,) occurrences of each role, packed
        in_hyp = per_role & ((1 << field) - 1)  # (U,)
        in_refs = (per_role >> field) & ((1 << field) - 1)  # (U,) most occurrences in one reference
        for k in range(2, n_roles):
            in_refs = np.maximum(in_refs, (per_role >> k * field) & ((1 << field) - 1))
        running = np.concatenate(([0], np.cumsum(np.minimum(in_hyp, in_refs))))  # (U + 1,) clipped so far
        matches[:, n - 1] = np.diff(running[np.searchsorted(starts, bounds)])  # (S,) every sentence starts a run
    return matches


def word_bits(V_b: int) -> int:
    """Bits of one word in a key: ids 1..V_b, and 0 and V_b + 1 past a segment's end."""
    return (V_b + 1).bit_length()


def sort_by_sentence(key: np.ndarray, sentence: np.ndarray, S: int) -> np.ndarray:
    """``np.sort(key)`` for keys that start with their sentence's bits and come in sentence order.

    Each sentence's keys are sorted on their own, as a row of a 2-D array padded with the largest
    int64: 60 keys at a time instead of 30,000, a quarter of the time of one sort here. A block
    with a few long sentences, whose rows would be mostly padding, takes the one sort.
    """
    counts = np.bincount(sentence, minlength=S)  # (S,)
    width = int(counts.max()) if len(key) else 0
    if S * width > 2 * len(key):
        return np.sort(key)
    first = np.cumsum(counts) - counts  # (S,)
    grid = np.full((S, width), np.iinfo(np.int64).max)  # (S, W) the padding sorts after every key
    cell = np.arange(len(key)) + (np.arange(S) * width - first)[sentence]  # (L,) flat index in the grid
    grid.ravel()[cell] = key  # 1-D: half the time of grid[sentence, column] = key (line profile)
    grid.sort(axis=1)
    return grid.ravel().take(cell)  # (L,) the first counts[s] of row s, row after row


def matches_chained(tok: BlockTokens, S: int, V_b: int, n_roles: int, max_n: int) -> np.ndarray:
    """Clipped matches (S, max_n), one sort per order: for blocks whose keys do not fit one int64.

    The n-gram starting at a token is one integer: its sentence, then one base-V
    digit per word. Appending a word multiplies by V; when the next code could
    overflow int64, the codes in use are first renumbered 0, 1, 2, ... (in order,
    so each sentence keeps a contiguous range).
    """
    V = V_b + 1
    word = tok.local
    matches = np.zeros((S, max_n), np.int64)
    code = tok.sentence * V + word  # (L,) the unigram at each token, with its sentence
    bounds = np.arange(S + 1) * V  # (S + 1,) sentence s owns codes bounds[s] .. bounds[s + 1] - 1
    for n in range(1, max_n + 1):
        if n > 1:
            if int(bounds[-1]) * V * n_roles >= 2**63:
                used, code = np.unique(code, return_inverse=True)
                bounds = np.searchsorted(used, bounds)
            code = code[:-1] * V + word[n - 1 :]  # (L - n + 1,) the n-gram starting at each token
            bounds = bounds * V
        fits = tok.room[: len(code)] >= n  # the n-gram ends inside its segment
        key = (code * n_roles + tok.role[: len(code)])[fits]  # (K,)
        matches[:, n - 1] = clipped_matches(key, n_roles, bounds)
    return matches


# --------------------------------------------------------------------------- the score


@dataclass
class BleuScore:
    """A BLEU score and the numbers it is made of.

    ``matches[n-1] / totals[n-1]`` is the n-gram precision before smoothing
    (``totals`` as the flavor counts them: nltk adds at least 1 per sentence);
    ``precisions`` are the values that enter the geometric mean, after smoothing
    (nltk's unsmoothed zero is ``sys.float_info.min``).
    """

    score: float
    precisions: list[float]
    brevity_penalty: float
    hyp_len: int
    ref_len: int
    matches: list[int]
    totals: list[int]
    flavor: str
    smoothing: str


def brevity_penalty(hyp_len: int, ref_len: int, flavor: str) -> float:
    """``exp(1 - r/c)`` for a hypothesis shorter than its reference, else 1.

    An empty hypothesis gets 0; the flavors differ only when both lengths are 0.
    """
    if hyp_len > ref_len or (flavor == "sacrebleu" and hyp_len == ref_len):
        return 1.0
    return 0.0 if hyp_len == 0 else math.exp(1 - ref_len / hyp_len)


def nltk_precisions(matches: Sequence[int], totals: Sequence[int], smoothing: str) -> list[float]:
    """nltk's p_n with ``SmoothingFunction().method0 / 1 / 2 / 3`` (none / floor / add-k / exp)."""
    p_n, zeros = [], 0
    for n, (m, t) in enumerate(zip(matches, totals, strict=True), start=1):
        if smoothing == "add-k" and n > 1:
            p_n.append((m + ADD_K) / (t + ADD_K))
        elif m > 0:
            p_n.append(m / t)
        elif smoothing == "none":
            p_n.append(sys.float_info.min)  # log(p) finite, score ~1e-77 per zero order
        elif smoothing == "floor":
            p_n.append(FLOOR_EPSILON / t)
        else:  # exp: the k-th zero order gets 1 / (2^k t)
            zeros += 1
            p_n.append(1 / (2**zeros * t))
    return p_n


def sacrebleu_precisions(matches: Sequence[int], totals: Sequence[int], smoothing: str) -> tuple[list[float], int]:
    """sacrebleu's p_n (as fractions, not percent) and the number of orders before the first empty one."""
    p_n, halvings, orders = [0.0] * len(matches), 1.0, len(matches)
    for n, (m, t) in enumerate(zip(matches, totals, strict=True), start=1):
        if smoothing == "add-k" and n > 1:
            m, t = m + ADD_K, t + ADD_K
        if t == 0:
            orders = n - 1
            break
        if m > 0:
            p_n[n - 1] = m / t
        elif smoothing == "exp":
            halvings *= 2
            p_n[n - 1] = 1 / (halvings * t)
        elif smoothing == "floor":
            p_n[n - 1] = FLOOR_EPSILON / t
    return p_n, orders


def bleu_from_counts(
    counts: NgramCounts,
    weights: Sequence[float],
    smoothing: str,
    flavor: str,
    effective_order: bool = False,
) -> BleuScore:
    """Sum the per-sentence counts over the corpus and combine them into one score."""
    c, r = int(counts.hyp_len.sum()), int(counts.ref_len.sum())
    matches = counts.matches.sum(axis=0).tolist()
    per_sentence_totals = np.maximum(counts.totals, 1) if flavor == "nltk" else counts.totals  # (S, N)
    totals = per_sentence_totals.sum(axis=0).tolist()
    bp = brevity_penalty(c, r, flavor)

    def result(score: float, p_n: list[float]) -> BleuScore:
        return BleuScore(score, p_n, bp, c, r, matches, totals, flavor, smoothing)

    if matches[0] == 0:  # no word of any hypothesis is in its references
        return result(0.0, [0.0] * len(weights))
    if flavor == "nltk":
        p_n = nltk_precisions(matches, totals, smoothing)
        return result(
            bp * math.exp(math.fsum(w * math.log(p) for w, p in zip(weights, p_n, strict=True) if p > 0)), p_n
        )
    p_n, orders = sacrebleu_precisions(matches, totals, smoothing)
    used = p_n[:orders] if effective_order else p_n  # an order after the first empty one counts as p = 0
    if min(used) == 0.0:  # log 0 = -inf
        return result(0.0, p_n)
    return result(bp * math.exp(sum(math.log(p) for p in used) / len(used)), p_n)


def check_options(weights: Sequence[float], smoothing: str, flavor: str) -> None:
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing must be one of {', '.join(SMOOTHINGS)}, got {smoothing!r}")
    if flavor not in FLAVORS:
        raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, got {flavor!r}")
    if len(weights) == 0:
        raise ValueError("weights must have one entry per n-gram order")
    if flavor == "sacrebleu" and any(w != 1 / len(weights) for w in weights):
        raise ValueError(f"sacrebleu weighs every order equally: use weights=(1/{len(weights)},)*{len(weights)}")


def corpus_bleu(
    list_of_references: Sequence[Sequence[Tokens]],
    hypotheses: Sequence[Tokens],
    weights: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
    smoothing: str = "none",
    flavor: str = "nltk",
) -> BleuScore:
    """Corpus BLEU in [0, 1], with nltk's argument layout.

    Parameters
    ----------
    list_of_references : ``list_of_references[i]`` is the list of reference
        token lists of hypothesis i (one or more)
    hypotheses : token lists
    weights : w_n for n = 1..len(weights)
    smoothing : "none", "floor", "add-k" or "exp"
    flavor : "nltk" (equals ``nltk...corpus_bleu`` with ``SmoothingFunction().method0..3``) or
        "sacrebleu" (equals ``sacrebleu.BLEU(tokenize="none", smooth_method=...).corpus_score / 100``
        for tokens without whitespace)
    """
    check_options(weights, smoothing, flavor)
    counts = count_ngrams(list_of_references, hypotheses, len(weights))
    return bleu_from_counts(counts, weights, smoothing, flavor)


def corpus_bleu_text(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str | None]],
    max_n: int = 4,
    smoothing: str = "exp",
) -> BleuScore:
    """Corpus BLEU in [0, 1] of raw lines, with sacrebleu's argument layout and rules.

    Equals ``sacrebleu.BLEU(tokenize="none", smooth_method=smoothing).corpus_score(hypotheses,
    references).score / 100``: ``references[k][i]`` is the k-th reference of line i (None where
    line i has fewer), and words are what ``str.split()`` gives.
    """
    weights = (1 / max_n,) * max_n
    check_options(weights, smoothing, "sacrebleu")
    return bleu_from_counts(count_segments(encode_text(hypotheses, references), max_n), weights, smoothing, "sacrebleu")


def sentence_bleu(
    references: Sequence[Tokens],
    hypothesis: Tokens,
    weights: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
    smoothing: str = "none",
    flavor: str = "nltk",
) -> BleuScore:
    """BLEU of one hypothesis: nltk's ``sentence_bleu``, or sacrebleu's (with its effective order)."""
    check_options(weights, smoothing, flavor)
    counts = count_ngrams([references], [hypothesis], len(weights))
    return bleu_from_counts(counts, weights, smoothing, flavor, effective_order=flavor == "sacrebleu")


# --------------------------------------------------------------------------- the lesson

REFERENCES = [
    line.split() for line in ("the cat is sitting on the mat by the door", "a cat sits on the mat next to the door")
]
CANDIDATES = {  # name -> (what it shows, tokens); the word salad is shuffled with the seed
    "exact": ("a copy of reference 1", REFERENCES[0]),
    "paraphrase": ("one word changed", [*REFERENCES[0][:3], "lying", *REFERENCES[0][4:]]),
    "word_salad": ("the words of reference 1, shuffled", REFERENCES[0]),
    "repeated_the": ("one frequent word, repeated: clipping", ["the"] * 7),
    "too_short": ("the first four words: brevity penalty", REFERENCES[0][:4]),
}


@dataclass
class BleuDemoResult(Result):
    candidates: dict[str, list[str]]
    scores: dict[str, BleuScore]
    clipping: list[list]  # word, count in the candidate, most in one reference, credited
    truncated_lengths: list[int]
    truncated_scores: list[float]
    truncated_bp: list[float]
    corpus: BleuScore
    sacrebleu_signature: str | None


def shuffled_words(rng: np.random.Generator, words: list[str], references: list[list[str]]) -> list[str]:
    """A permutation of ``words`` that has no bigram of any reference, when one is found."""
    bigrams = {bigram for ref in references for bigram in zip(ref, ref[1:], strict=False)}
    for _ in range(100):
        salad = [words[i] for i in rng.permutation(len(words))]
        if not bigrams & set(zip(salad, salad[1:], strict=False)):
            return salad
    return salad


def clipping_table(references: list[list[str]], candidate: list[str]) -> list[list]:
    """Per word: its count in the candidate, the most times one reference has it, and the clipped credit."""
    in_candidate = Counter(candidate)
    rows = []
    for word, count in in_candidate.items():
        most = max(Counter(ref)[word] for ref in references)
        rows.append([word, count, most, min(count, most)])
    return rows


def sacrebleu_signature(smoothing: str) -> str | None:
    """The reproducibility signature of sacrebleu's sentence BLEU with these settings, if sacrebleu is installed."""
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:
        return None
    metric = BLEU(tokenize="none", smooth_method=smoothing, effective_order=True)
    metric.corpus_score(["x"], [["x"]] * len(REFERENCES))  # the signature learns the reference count
    return str(metric.get_signature())


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> BleuDemoResult:
    rng = np.random.default_rng(seed)
    weights = (1 / p["max_n"],) * p["max_n"]
    options = {"weights": weights, "smoothing": p["smoothing"], "flavor": p["flavor"]}

    candidates = {name: list(tokens) for name, (_, tokens) in CANDIDATES.items()}
    candidates["word_salad"] = shuffled_words(rng, candidates["word_salad"], REFERENCES)
    scores = {}
    for step, (name, tokens) in enumerate(candidates.items(), start=1):
        scores[name] = sentence_bleu(REFERENCES, tokens, **options)
        if progress is not None:
            progress(step, len(candidates), message=name)

    lengths = list(range(1, len(REFERENCES[0]) + 1))
    truncated = [sentence_bleu(REFERENCES, REFERENCES[0][:k], **options) for k in lengths]
    corpus = corpus_bleu([REFERENCES] * len(candidates), list(candidates.values()), **options)
    signature = sacrebleu_signature(p["smoothing"]) if p["flavor"] == "sacrebleu" else None
    return BleuDemoResult(
        candidates=candidates,
        scores=scores,
        clipping=clipping_table(REFERENCES, candidates["repeated_the"]),
        truncated_lengths=lengths,
        truncated_scores=[s.score for s in truncated],
        truncated_bp=[s.brevity_penalty for s in truncated],
        corpus=corpus,
        sacrebleu_signature=signature,
    )


def report(result: BleuDemoResult) -> Report:
    s = result.scores
    N = result.params["max_n"]
    salad_unigram = s["word_salad"].matches[0] / s["word_salad"].totals[0]
    repeated = result.clipping[0]  # the only word of "the the the ..."
    in_some_ref = sum(count for _, count, most, _ in result.clipping if most > 0)
    mean_sentence = float(np.mean([score.score for score in s.values()]))

    score_rows = [
        [name, score.hyp_len, score.ref_len, score.brevity_penalty, *score.precisions, score.score]
        for name, score in s.items()
    ]
    count_rows = [
        [name, *(f"{m}/{t}" for m, t in zip(score.matches, score.totals, strict=True))] for name, score in s.items()
    ]
    text_rows = [[name, CANDIDATES[name][0], " ".join(tokens)] for name, tokens in result.candidates.items()]
    text_rows += [[f"reference {k}", "", " ".join(ref)] for k, ref in enumerate(REFERENCES, start=1)]

    notes = [
        "Clipping: 'the' appears 7 times in the candidate but at most 3 times in one reference, so it earns "
        f"{repeated[3]}/7; unclipped, its unigram precision would be 7/7.",
        f"The word salad has every word right (unigram precision {salad_unigram:.2f}) but no bigram, so only "
        "smoothing keeps its score above zero.",
        "Every prefix of reference 1 has perfect precision, so its BLEU is its brevity penalty (the chart); "
        "prefixes shorter than max_n words have orders with no n-gram, which nltk counts as 0/1 and "
        "sacrebleu's sentence BLEU leaves out.",
        f"Corpus BLEU of the {len(s)} candidates pooled is {result.corpus.score:.4f}, the mean of their "
        f"sentence scores {mean_sentence:.4f}: a corpus score sums counts before dividing.",
    ]
    if result.params["flavor"] == "nltk" and result.params["smoothing"] == "none":
        notes.append(
            "nltk without smoothing replaces a zero precision by the smallest float (2.2e-308), so a "
            "'zero' score is really about 1e-77 per zero order; sacrebleu returns exactly 0."
        )
    if result.sacrebleu_signature:
        notes.append(f"sacrebleu signature of these sentence scores: {result.sacrebleu_signature}")
    return Report(
        headline=(
            f"Against 2 references, an exact copy scores {s['exact'].score:.2f}, a one-word paraphrase "
            f"{s['paraphrase'].score:.2f}, the right words shuffled {s['word_salad'].score:.3f}, 'the' x7 "
            f"{s['repeated_the'].score:.3f} and a correct but short prefix {s['too_short'].score:.2f} "
            f"(brevity penalty {s['too_short'].brevity_penalty:.2f})."
        ),
        metrics={
            **{f"score_{name}": score.score for name, score in s.items()},
            "brevity_penalty_too_short": s["too_short"].brevity_penalty,
            "unigram_precision_word_salad": salad_unigram,
            "clipped_unigram_precision_repeated_the": repeated[3] / repeated[1],
            "unclipped_unigram_precision_repeated_the": in_some_ref / repeated[1],
            "corpus_score": result.corpus.score,
            "mean_sentence_score": mean_sentence,
        },
        series={
            "BLEU": Series(result.truncated_lengths, result.truncated_scores),
            "brevity penalty": Series(result.truncated_lengths, result.truncated_bp),
        },
        plots=[Plot("the first k words of reference 1", ["BLEU", "brevity penalty"], "words kept", "")],
        tables=[
            Table("candidates", ["candidate", "shows", "text"], text_rows),
            Table(
                "clipped matches / hypothesis n-grams",
                ["candidate", *(f"{n}-grams" for n in range(1, N + 1))],
                count_rows,
            ),
            Table(
                f"BLEU = BP * exp(mean log p_n)  ({result.params['flavor']}, smoothing {result.params['smoothing']})",
                ["candidate", "c", "r", "BP", *(f"p{n}" for n in range(1, N + 1)), "BLEU"],
                score_rows,
            ),
            Table(
                "clipping 'the the the ...'", ["word", "in candidate", "most in one ref", "credited"], result.clipping
            ),
        ],
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
