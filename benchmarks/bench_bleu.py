"""Time corpus BLEU: demos/bleu.py (NumPy) against nltk and sacrebleu on one random corpus.

    python benchmarks/bench_bleu.py [--sentences 10000] [--refs 2] [--repeats 5] [--seed 0] [--smoothing exp]

The corpus imitates a translation test set: every sentence has a hidden
"source" of Zipf-distributed words (5,000-word vocabulary), and the hypothesis
and each reference are noisy copies of it (each word replaced by a random one
with probability 0.25), cut to 10-30 words. Each contender gets its natural
input: token lists for nltk and ``bleu.corpus_bleu``, joined strings for
sacrebleu (``tokenize="none"`` just splits them again). Joining is not timed.

The contenders run in turn within each repeat and the median time is reported,
so that a busy machine slows them all alike. The scores must agree to a relative
1e-12 before any time is printed. BLAS and OpenMP are pinned to one thread
(nothing here uses them, but the numbers should not depend on it).

``make_corpus``, ``run_benchmark`` and ``format_results`` can be imported to
combine this with other benchmarks.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after pinning the thread count)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demos"))
import bleu  # noqa: E402

NLTK_METHOD = {"none": "method0", "floor": "method1", "add-k": "method2", "exp": "method3"}


@dataclass
class Corpus:
    list_of_references: list[list[list[str]]]  # nltk's layout: the references of sentence i
    hypotheses: list[list[str]]

    @property
    def tokens(self) -> int:
        return sum(map(len, self.hypotheses)) + sum(len(r) for refs in self.list_of_references for r in refs)

    def sacrebleu_inputs(self) -> tuple[list[str], list[list[str]]]:
        """Hypothesis lines and reference streams (``streams[k][i]``: the k-th reference of sentence i)."""
        streams = [
            [" ".join(refs[k]) for refs in self.list_of_references] for k in range(len(self.list_of_references[0]))
        ]
        return [" ".join(h) for h in self.hypotheses], streams


def make_corpus(
    n_sentences: int = 10_000, n_refs: int = 2, seed: int = 0, vocabulary: int = 5000, noise: float = 0.25
) -> Corpus:
    """Noisy copies of Zipf-distributed source sentences, 10-30 words each."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocabulary)], dtype=object)
    p = 1.0 / (np.arange(vocabulary) + 2.7) ** 1.1  # Zipf-Mandelbrot word frequencies
    p /= p.sum()
    source = rng.choice(vocabulary, size=(n_sentences, 30), p=p)  # (S, 30)

    def noisy_copy() -> list[list[str]]:
        replaced = rng.random(source.shape) < noise  # (S, 30)
        ids = np.where(replaced, rng.choice(vocabulary, size=source.shape, p=p), source)  # (S, 30)
        lengths = rng.integers(10, 31, size=n_sentences)  # (S,)
        return [words[row[:n]].tolist() for row, n in zip(ids, lengths, strict=True)]

    hypotheses = noisy_copy()
    references = [noisy_copy() for _ in range(n_refs)]
    return Corpus([list(refs) for refs in zip(*references, strict=True)], hypotheses)


def timed(fn: Callable[[], float], times: list[float]) -> float:
    """Call ``fn``, append its wall time to ``times``, return its result."""
    start = time.perf_counter()
    out = fn()
    times.append(time.perf_counter() - start)
    return out


def run_benchmark(corpus: Corpus, repeats: int = 5, smoothing: str = "exp") -> dict[str, dict[str, float]]:
    """Seconds (median of ``repeats``) and BLEU in [0, 1] of each contender; raises if the scores disagree."""
    try:
        import sacrebleu
    except ImportError:
        raise SystemExit(
            "bench_bleu: sacrebleu is not installed; `pip install sacrebleu` (or the project's [test] extra)"
        ) from None
    from nltk.translate import bleu_score

    lines, streams = corpus.sacrebleu_inputs()
    metric = sacrebleu.BLEU(tokenize="none", smooth_method=smoothing)
    nltk_smoothing = getattr(bleu_score.SmoothingFunction(), NLTK_METHOD[smoothing])
    refs, hyps = corpus.list_of_references, corpus.hypotheses
    contenders: dict[str, Callable[[], float]] = {
        "sacrebleu corpus_score": lambda: metric.corpus_score(lines, streams).score / 100,
        "nltk corpus_bleu": lambda: bleu_score.corpus_bleu(refs, hyps, smoothing_function=nltk_smoothing),
        "bleu.corpus_bleu (sacrebleu flavor)": lambda: (
            bleu.corpus_bleu(refs, hyps, smoothing=smoothing, flavor="sacrebleu").score
        ),
        "bleu.corpus_bleu (nltk flavor)": lambda: (
            bleu.corpus_bleu(refs, hyps, smoothing=smoothing, flavor="nltk").score
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    scores: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns about zero-match orders
        for _ in range(repeats):
            for name, fn in contenders.items():
                scores[name] = timed(fn, times[name])
    check_agreement(scores)
    return {name: {"seconds": statistics.median(times[name]), "bleu": scores[name]} for name in contenders}


def check_agreement(scores: dict[str, float]) -> None:
    pairs = [
        ("bleu.corpus_bleu (nltk flavor)", "nltk corpus_bleu"),
        ("bleu.corpus_bleu (sacrebleu flavor)", "sacrebleu corpus_score"),
    ]
    for ours, theirs in pairs:
        if not math.isclose(scores[ours], scores[theirs], rel_tol=1e-12):
            raise AssertionError(f"{ours} = {scores[ours]!r} but {theirs} = {scores[theirs]!r}")


def format_results(results: dict[str, dict[str, float]]) -> str:
    sacre = results["sacrebleu corpus_score"]["seconds"]
    nltk = results["nltk corpus_bleu"]["seconds"]
    width = max(map(len, results))
    lines = [f"{'':{width}}  {'seconds':>8}  {'BLEU':>18}  {'vs sacrebleu':>12}  {'vs nltk':>8}"]
    for name, r in results.items():
        lines.append(
            f"{name:{width}}  {r['seconds']:8.3f}  {r['bleu']:18.15f}  {sacre / r['seconds']:11.1f}x"
            f"  {nltk / r['seconds']:7.1f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--refs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoothing", default="exp", choices=bleu.SMOOTHINGS)
    args = parser.parse_args(argv)
    corpus = make_corpus(args.sentences, args.refs, args.seed)
    results = run_benchmark(corpus, args.repeats, args.smoothing)
    print(
        f"corpus: {args.sentences} sentences x {args.refs} references, {corpus.tokens:,} tokens, seed {args.seed}; "
        f"smoothing {args.smoothing}; median of {args.repeats} runs, one thread"
    )
    print(format_results(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
