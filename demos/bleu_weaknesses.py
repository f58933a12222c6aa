"""BLEU counts shared n-grams, not meaning: a negated sentence can outscore a correct paraphrase.

BLEU (Papineni et al. 2002) scores a machine translation by its clipped
n-gram precisions against one or more human references, times a brevity
penalty (``bleu.py`` explains and checks the formula). It was designed to
rank *systems* over a corpus, where many sentences average out its blind
spots. On a single sentence those blind spots decide the score:

- **negation**: inserting "not" keeps almost every n-gram, so the opposite
  meaning scores high;
- **paraphrase**: a correct translation in other words shares few n-grams
  with the reference and scores low;
- **role swap**: exchanging subject and object keeps every word and many
  bigrams: nonsense with a middling score;
- **brevity**: a short but true summary is cut by the brevity penalty;
- **references**: adding a second reference that happens to use the
  paraphrase's words lifts the same paraphrase, without any change to it.

Every score here is sentence BLEU-4 with Chen & Cherry's exponential smoothing
(nltk ``SmoothingFunction().method3``, sacrebleu's default); ``--compare-nltk
true`` recomputes each with nltk's ``sentence_bleu`` (off by default: the
import costs more than the demo).

References: Papineni et al. 2002, "BLEU: a Method for Automatic Evaluation of
Machine Translation"; Callison-Burch, Osborne & Koehn 2006, "Re-evaluating the
Role of BLEU in Machine Translation Research"; Reiter 2018, "A Structured
Review of the Validity of BLEU"; Chen & Cherry 2014 (smoothing).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from bleu import sentence_bleu
from harness import Param, Progress, Report, Result, Table, main, takes

PARAMS = [
    Param("compare_nltk", False, "also score every case with nltk's sentence_bleu (method3)"),
]

REFERENCE = "the new drug is effective against the disease in most patients"
SECOND_REFERENCE = "the medicine works against the illness in most patients"


@dataclass(frozen=True)
class Case:
    name: str
    hypothesis: str
    correct: bool
    """Does the hypothesis mean what the reference means?"""
    second_reference: bool = False
    """Scored against both references (only the last case)."""


CASES = (
    Case("exact copy", REFERENCE, True),
    Case("negated", "the new drug is not effective against the disease in most patients", False),
    Case("role swap", "the disease is effective against the new drug in most patients", False),
    Case("paraphrase", "in most patients the medicine works well against this illness", True),
    Case("paraphrase 2", "the new medicine successfully treats the illness in most patients", True),
    Case("short and true", "the drug works", True),
    Case("paraphrase, 2 references", "in most patients the medicine works well against this illness", True, True),
)


@dataclass
class Scored:
    case: Case
    bleu: float
    precisions: list[float]
    """Clipped 1- to 4-gram precisions before smoothing."""
    brevity_penalty: float
    nltk: float | None = None


def score(case: Case) -> Scored:
    refs = [REFERENCE.split()] + ([SECOND_REFERENCE.split()] if case.second_reference else [])
    s = sentence_bleu(refs, case.hypothesis.split(), smoothing="exp", flavor="nltk")
    precisions = [m / t if t else 0.0 for m, t in zip(s.matches, s.totals, strict=True)]
    return Scored(case, float(s.score), precisions, float(s.brevity_penalty))


def nltk_score(case: Case) -> float:
    from nltk.translate.bleu_score import SmoothingFunction
    from nltk.translate.bleu_score import sentence_bleu as nltk_sentence_bleu

    refs = [REFERENCE.split()] + ([SECOND_REFERENCE.split()] if case.second_reference else [])
    return float(nltk_sentence_bleu(refs, case.hypothesis.split(), smoothing_function=SmoothingFunction().method3))


@dataclass
class BleuWeaknessesResult(Result):
    scored: list[Scored]

    def by_name(self, name: str) -> Scored:
        return next(s for s in self.scored if s.case.name == name)


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> BleuWeaknessesResult:
    scored = [score(c) for c in CASES]
    if p["compare_nltk"]:
        if progress is not None:
            progress(0, 1, message="importing nltk")
        for s in scored:
            s.nltk = nltk_score(s.case)
    return BleuWeaknessesResult(scored)


def report(result: BleuWeaknessesResult) -> Report:
    neg, para, swap = result.by_name("negated"), result.by_name("paraphrase"), result.by_name("role swap")
    short, two = result.by_name("short and true"), result.by_name("paraphrase, 2 references")
    wrong_best = max(s.bleu for s in result.scored if not s.case.correct)
    right_worst = min(s.bleu for s in result.scored if s.case.correct and not s.case.second_reference)
    rows = [
        [
            s.case.name,
            s.case.hypothesis,
            "yes" if s.case.correct else "NO",
            s.bleu,
            *[round(v, 3) for v in s.precisions],
            s.brevity_penalty,
            s.nltk,
        ]
        for s in result.scored
    ]
    nltk_diff = [abs(s.bleu - s.nltk) for s in result.scored if s.nltk is not None]
    return Report(
        headline=(
            f'Against the reference "{REFERENCE}", the negated sentence scores BLEU {neg.bleu:.2f} and the role '
            f"swap {swap.bleu:.2f}, while a correct paraphrase scores {para.bleu:.2f} and a short true summary "
            f"{short.bleu:.2f}; a second reference lifts the same paraphrase to {two.bleu:.2f}."
        ),
        metrics={
            "negated": neg.bleu,
            "role_swap": swap.bleu,
            "paraphrase": para.bleu,
            "paraphrase_2": result.by_name("paraphrase 2").bleu,
            "short_and_true": short.bleu,
            "paraphrase_two_references": two.bleu,
            "best_wrong_minus_worst_right": wrong_best - right_worst,
            "max_difference_from_nltk": max(nltk_diff) if nltk_diff else None,
        },
        tables=[
            Table(
                f'sentence BLEU-4 (exponential smoothing) against "{REFERENCE}"',
                ["case", "hypothesis", "same meaning", "BLEU", "p1", "p2", "p3", "p4", "BP", "nltk method3"],
                rows,
            )
        ],
        notes=[
            "p1-p4: clipped n-gram precisions (matched n-grams over the hypothesis's n-grams); BP: brevity "
            f"penalty. Inserting 'not' breaks only the n-grams that contain it: {neg.precisions[1]:.0%} of the "
            "negated sentence's bigrams still match.",
            f'Second reference: "{SECOND_REFERENCE}", another correct translation: what BLEU rewards is '
            "overlap with whichever references were collected.",
            "BLEU is meant for corpora and for ranking systems, with several references; for single sentences "
            "use human judgement or a learned metric, and never read a small BLEU difference as a meaning difference.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
