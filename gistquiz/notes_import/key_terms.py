"""The key term of a phrase: what a cloze hides, so that a card asks for a term rather than a whole predicate.

A cloze over "{{c1::generally smaller}}" or "{{c1::each step assigns every point
to its nearest centroid}}" asks the learner to reproduce a sentence word for
word. A good cloze hides one thing a learner can recall: a number, a named
method (an acronym, a CamelCase or digit-bearing name), or a short noun phrase.
This module finds one in the notes' own words, without a dictionary or a
part-of-speech tagger, tried in this order:

1. a phrase of at most three words, less a leading qualifier ("generally",
   "kinda", "all") — the whole answer is already a term;
2. a number or a range of numbers ("30k to 50k", "3 to 8");
3. a run of named terms ("XGBoost", "k-means++", "max_depth");
4. the noun phrase that ends a clause, after its last preposition or
   determiner ("to its {{nearest centroid}}", "the {{within-cluster sum of squares}}").

None when nothing fits: the caller then makes a question-and-answer card instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


MAX_SHORT_WORDS = 3
MAX_PHRASE_TOKENS = 4

QUALIFIERS = _set(
    "generally usually often typically very kinda kind of sort always never mostly only just also much quite rather "
    "all some any a an the really basically"
)
"""Words that open a phrase without being part of the term: left outside the cloze."""

_BOUNDARIES = _set(
    "to in on at from with by for into onto over under against than between among via per within across "
    "the a an its their each every this that these those our your his her"
)
_DETERMINERS = _set("the a an its their this that these those our your his her")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(
    r"(?<![\w.\-])\d[\d.,]*(?:[kKmMbB%×x]\b)?(?:\s*(?:to|-|–|or)\s*\d[\d.,]*(?:[kKmMbB%]\b)?)?(?![\w])"
)
_NAMED = re.compile(
    r"(?<![\w\-])(?:"
    r"[A-Za-z]*[A-Z][A-Za-z]*[A-Z][\w\-+]*"  # an acronym or CamelCase: BPE, XGBoost, LightGBM, ReLU
    r"|[A-Za-z]+\d[\w\-]*"  # letters then digits: L1, L2, word2vec
    r"|[A-Za-z][\w\-]*\+\+"  # k-means++
    r"|[a-z]+_[a-z_]+"  # max_depth, min_samples_leaf
    r")(?![\w\-])"
)
_FORMULA = re.compile(r"[_^√∑=]|\w\(")
_TRAILING_QUALIFIERS = _set("first again only too also lol etc though")
"""Words that end a clause without being part of its noun phrase ("center the data first")."""
_CLAUSE = re.compile(r",\s+|;\s+|\s+(?:but|because|so|which|while|whereas)\s+")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Split:
    """``before + term + after`` is the phrase it was found in."""

    before: str
    term: str
    after: str


def key_term(phrase: str, context: str = "") -> Split | None:
    """The key term of ``phrase``, with the text around it; None when there is no clear one.

    A term whose words all stand in ``context`` (the card's heading or subject) would be given away: it is
    passed over.
    """
    if _is_formula(phrase):
        return Split("", phrase, "")
    seen = " ".join(context.lower().split())
    for split in (_short(phrase), _match(_NUMBER, phrase), _named(phrase, seen), _trailing_noun_phrase(phrase, seen)):
        if split is not None and not _in_sight(split.term, seen):
            return split
    return None


def _in_sight(term: str, seen: str) -> bool:
    return bool(seen) and " ".join(term.lower().split()) in seen


def _is_formula(phrase: str) -> bool:
    """``-sum p_k log p_k``, ``1 - sum of p_k squared``: a formula is hidden whole, never one symbol of it."""
    return len(_WORD.findall(phrase)) <= 6 and (bool(_FORMULA.search(phrase)) or phrase.lstrip()[:1] in "-−")


def key_terms_of_list(phrase: str) -> list[Split] | None:
    """Each item of a short enumeration ("L1, L2, or Dropout") as a term: hidden together, they are the answer."""
    pieces = [m for m in re.finditer(r"[^,|;&]+", phrase) if _WORD.search(m.group(0))]
    if len(pieces) < 2:
        return None
    out = []
    for m in pieces:
        item = m.group(0)
        lead = re.match(r"\s*(?:(?:and|or)\s+)?", item).group(0)
        core = item[len(lead) :].rstrip()
        if not core or len(_WORD.findall(core)) > MAX_SHORT_WORDS:
            return None
        out.append((m.start() + len(lead), m.start() + len(lead) + len(core)))
    return _spans(phrase, out)


def _spans(phrase: str, spans: list[tuple[int, int]]) -> list[Split]:
    """Consecutive splits: each ``before`` runs from the previous term's end."""
    out, pos = [], 0
    for start, end in spans:
        out.append(Split(phrase[pos:start], phrase[start:end], ""))
        pos = end
    last = out[-1]
    out[-1] = Split(last.before, last.term, phrase[pos:])
    return out


def _short(phrase: str) -> Split | None:
    words = _WORD.findall(phrase)
    if not words or len(words) > MAX_SHORT_WORDS + 1:
        return None
    tokens = list(_TOKEN.finditer(phrase))
    i = 0
    while i < len(tokens) - 1 and tokens[i].group(0).lower() in QUALIFIERS:
        i += 1
    rest = phrase[tokens[i].start() :]
    if len(_WORD.findall(rest)) > MAX_SHORT_WORDS:
        return None
    return Split(phrase[: tokens[i].start()], rest, "")


def _match(pattern: re.Pattern[str], phrase: str) -> Split | None:
    m = pattern.search(phrase)
    return Split(phrase[: m.start()], m.group(0), phrase[m.end() :]) if m else None


def _named(phrase: str, seen: str) -> Split | None:
    """The first run of named terms not already in sight ("Simple RNN" is one run only if both words are names)."""
    found = [m for m in _NAMED.finditer(phrase) if not _in_sight(m.group(0), seen)]
    if not found:
        return None
    start, end = found[0].start(), found[0].end()
    for m in found[1:]:
        if phrase[end : m.start()].strip() in ("", "-"):
            end = m.end()
        else:
            break
    return Split(phrase[:start], phrase[start:end], phrase[end:])


def _trailing_noun_phrase(phrase: str, seen: str) -> Split | None:
    """The words after a clause's last preposition or determiner, trying the last clause first."""
    bounds = [0, *(m.end() for m in _CLAUSE.finditer(phrase))]
    ends = [m.start() for m in _CLAUSE.finditer(phrase)] + [len(phrase)]
    for start, end in reversed(list(zip(bounds, ends, strict=True))):
        tokens = list(_TOKEN.finditer(phrase, start, end))
        words = [t.group(0).lower().strip("()[],.;:") for t in tokens]
        cut = None
        i = len(words) - 1
        while i >= 0:
            w = words[i]
            if w in _DETERMINERS and i > 0 and words[i - 1] == "of":
                i -= 2  # "mean of its points": "of its" is inside the noun phrase
                continue
            if w in _BOUNDARIES:
                cut = i
                break
            i -= 1
        last = len(words)
        while last > 0 and words[last - 1] in _TRAILING_QUALIFIERS:
            last -= 1
        if cut is None or cut >= last - 1:
            continue
        term_tokens = tokens[cut + 1 : last]
        if any(c in t.group(0) for t in term_tokens for c in "()[]"):
            continue  # never a term that cuts through an aside
        if len(term_tokens) > MAX_PHRASE_TOKENS or all(words[j] in QUALIFIERS for j in range(cut + 1, last)):
            continue
        a, b = term_tokens[0].start(), term_tokens[-1].end()
        if _in_sight(phrase[a:b], seen):
            continue
        return Split(phrase[:a], phrase[a:b], phrase[b:])
    return None
