"""Time corpus BLEU: demos/bleu.py (NumPy) against nltk and sacrebleu on one random corpus.

    python benchmarks/bench_bleu.py [--sentences 1000 10000 100000] [--refs 2] [--repeats 5] [--seed 0]

The corpus imitates a translation test set: every sentence has a hidden
"source" of Zipf-distributed words (5,000-word vocabulary), and the hypothesis
and each reference are noisy copies of it (each word replaced by a random one
with probability 0.25), cut to 10-30 words. Every contender starts from the
same raw strings (hypothesis lines and reference streams, as sacrebleu takes
them); the token-list APIs (nltk, ``bleu.corpus_bleu``) are timed with the
``split`` of every line included.

The contenders run in turn within each round (A B C D A B C D ...), and each is
printed with the median, IQR and count of its times and of its per-round ratio
to sacrebleu, so that a busy machine slows them all alike. The scores must agree to a relative
1e-12 before any time is printed. BLAS and OpenMP are pinned to one thread
(nothing here uses them, but the numbers should not depend on it). A last table
gives each contender's median at every corpus size and its growth from one size
to the next (10x the sentences: 10 when linear).

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
from dataclasses import dataclass, field
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


def timed(fn: Callable[[], float], times: list[float], cpu_times: list[float] | None = None) -> float:
    """Call ``fn``, append its wall time to ``times`` (and its CPU time to ``cpu_times``), return its result."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    if cpu_times is not None:
        cpu_times.append(time.process_time() - cpu)
    times.append(time.perf_counter() - start)
    return out


def contenders(corpus: Corpus, smoothing: str) -> dict[str, Callable[[], float]]:
    """Each contender starts from the same raw strings: hypothesis lines and reference streams.

    sacrebleu and ``bleu.corpus_bleu_text`` take them as they are (``tokenize="none"``:
    ``str.split``); nltk needs token lists, so its time includes the ``split`` of every line.
    """
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

    def nltk() -> float:
        refs = [[ref.split() for ref in refs] for refs in zip(*streams, strict=True)]
        return bleu_score.corpus_bleu(refs, [h.split() for h in lines], smoothing_function=nltk_smoothing)

    def nltk_flavor() -> float:
        refs = [[ref.split() for ref in refs] for refs in zip(*streams, strict=True)]
        return bleu.corpus_bleu(refs, [h.split() for h in lines], smoothing=smoothing, flavor="nltk").score

    return {
        "sacrebleu corpus_score": lambda: metric.corpus_score(lines, streams).score / 100,
        "bleu.corpus_bleu_text": lambda: bleu.corpus_bleu_text(lines, streams, smoothing=smoothing).score,
        "nltk corpus_bleu": nltk,
        "bleu.corpus_bleu (nltk flavor)": nltk_flavor,
    }


@dataclass
class Timing:
    times: list[float]
    ratios: list[float]  # sacrebleu's time / this one's, per interleaved round
    bleu: float
    cpu_ratios: list[float] = field(default_factory=list)  # the same in CPU time (steadier on a busy machine)

    @staticmethod
    def spread(values: list[float]) -> tuple[float, float, int]:
        """Median, interquartile range and count."""
        if len(values) < 2:
            return values[0], 0.0, len(values)
        q = statistics.quantiles(values, n=4, method="inclusive")
        return statistics.median(values), q[2] - q[0], len(values)


def run_benchmark(corpus: Corpus, repeats: int = 5, smoothing: str = "exp") -> dict[str, Timing]:
    """Every contender once per round, in turn (A B C D A B C D ...); raises if the scores disagree."""
    fns = contenders(corpus, smoothing)
    times: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    scores: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns about zero-match orders
        for _ in range(repeats):
            for name, fn in fns.items():
                scores[name] = timed(fn, times[name], cpu[name])
    check_agreement(scores)
    anchor = times["sacrebleu corpus_score"]
    return {
        name: Timing(
            times[name],
            [a / t for a, t in zip(anchor, times[name], strict=True)],
            scores[name],
            [a / t for a, t in zip(cpu["sacrebleu corpus_score"], cpu[name], strict=True)],
        )
        for name in fns
    }


def check_agreement(scores: dict[str, float]) -> None:
    pairs = [
        ("bleu.corpus_bleu (nltk flavor)", "nltk corpus_bleu"),
        ("bleu.corpus_bleu_text", "sacrebleu corpus_score"),
    ]
    for ours, theirs in pairs:
        if not math.isclose(scores[ours], scores[theirs], rel_tol=1e-12):
            raise AssertionError(f"{ours} = {scores[ours]!r} but {theirs} = {scores[theirs]!r}")


def format_results(results: dict[str, Timing]) -> str:
    width = max(map(len, results))
    lines = [
        f"{'':{width}}  {'seconds: median  IQR  n':>26}  {'BLEU':>18}  {'sacrebleu / this: median  IQR':>31}"
        f"  {'in CPU time':>14}"
    ]
    for name, r in results.items():
        t, t_iqr, n = Timing.spread(r.times)
        q, q_iqr, _ = Timing.spread(r.ratios)
        c, c_iqr, _ = Timing.spread(r.cpu_ratios)
        lines.append(
            f"{name:{width}}  {t:12.4f} {t_iqr:7.4f} {n:3d}  {r.bleu:18.15f}  {q:23.1f}x {q_iqr:6.1f}"
            f"  {c:7.1f}x {c_iqr:5.1f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--refs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="rounds at 10,000 sentences (more below, fewer above)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoothing", default="exp", choices=bleu.SMOOTHINGS)
    args = parser.parse_args(argv)
    by_size: dict[int, dict[str, Timing]] = {}
    for n in args.sentences:
        corpus = make_corpus(n, args.refs, args.seed)
        repeats = max(3, round(args.repeats * (10_000 / n) ** 0.5))  # the 100,000 corpus takes a minute a round
        by_size[n] = run_benchmark(corpus, repeats, args.smoothing)
        print(
            f"\ncorpus: {n:,} sentences x {args.refs} references, {corpus.tokens:,} tokens, seed {args.seed}; "
            f"smoothing {args.smoothing}; {repeats} interleaved rounds, one thread"
        )
        print(format_results(by_size[n]), flush=True)
    print("\n" + format_growth(by_size))
    return 0


def format_growth(by_size: dict[int, dict[str, Timing]]) -> str:
    """Each contender's median time at every corpus size, and how it grows from one size to the next."""
    sizes = sorted(by_size)
    names = list(by_size[sizes[0]])
    width = max(map(len, names))
    steps = list(zip(sizes, sizes[1:], strict=False))  # neighbours: one pair fewer than sizes
    head = "".join(f"{n:>12,}" for n in sizes) + "".join(f"{f't({b:,})/t({a:,})':>22}" for a, b in steps)
    lines = [f"{'median seconds':{width}}{head}"]
    for name in names:
        t = {n: statistics.median(by_size[n][name].times) for n in sizes}
        cells = "".join(f"{t[n]:12.4f}" for n in sizes)
        growth = "".join(f"{t[b] / t[a]:15.1f} ({b // a}x)" for a, b in steps)
        lines.append(f"{name:{width}}{cells}{growth}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
