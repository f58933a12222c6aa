"""The demo ``gistquiz new-demo NAME`` writes: a small working demo, commented, that follows the bundled API.

It runs as it is (``gistquiz demo run NAME``, ``python DEMOS/NAME.py``, or from a card with ``demo: NAME``):
it measures the spread of the mean of ``n`` uniform samples against the closed form ``1/sqrt(12 n)``, and
reports a headline, a table and a plot. The learner replaces the maths and keeps the shape.
"""

from __future__ import annotations

import importlib.util
import keyword
import sys

_TEMPLATE = '''\
"""The mean of n uniform(0, 1) samples spreads as 1/sqrt(12 n): replace this line with your demo's claim.

The first line of this docstring is the claim: `gistquiz demo list` and the app show it. The rest says how
the demo shows it and where the idea comes from (a paper, a course's notes). This example measures the
standard deviation of the mean of n uniform samples and compares it with the closed form
sqrt(Var(U) / n) = sqrt(1 / (12 n)): the standard error of the mean.

Run it: `gistquiz demo run @NAME@`, `python @NAME@.py --help`, or link it from a card with `demo: @NAME@`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from gistquiz.registry import bundled_first

# The bundled demos folder goes first on sys.path, so `harness`, `layers` (CS231n-style layers) and
# `digits` (the 8x8 digits data) are the bundled ones; your own modules in this folder import as usual.
bundled_first(__file__)

import numpy as np  # noqa: E402
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes  # noqa: E402

# Every parameter has a default, a range and a help line: the command line (--trials 500), the app's
# parameter form (p) and run() all check values against these.
PARAMS = [
    Param("trials", 2000, "means drawn per sample size", low=10, high=100_000),
    Param("largest_n", 256, "the largest sample size n (sizes double from 1)", low=2, high=65_536),
]


@dataclass
class SpreadResult(Result):
    """What run() measured; Result adds the parameters and the seed."""

    sizes: list[int]
    measured: list[float]
    """Standard deviation of the trial means, one per size."""
    expected: list[float]
    """The closed form 1/sqrt(12 n)."""


def mean_spread(rng: np.random.Generator, n: int, trials: int) -> float:
    """Standard deviation of the mean of ``n`` uniform samples, over ``trials`` draws."""
    samples = rng.random((trials, n))  # (trials, n)
    return float(samples.mean(axis=1).std(ddof=1))  # (trials,) -> scalar


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> SpreadResult:
    """The experiment: explicit parameters and a seed in, a result out (no printing here)."""
    rng = np.random.default_rng(seed)
    sizes = [2**k for k in range(p["largest_n"].bit_length()) if 2**k <= p["largest_n"]]
    measured = []
    for i, n in enumerate(sizes):
        measured.append(mean_spread(rng, n, p["trials"]))
        if progress:
            progress(i + 1, len(sizes), message=f"n = {n}")  # the app shows this while it runs
    expected = [1 / np.sqrt(12 * n) for n in sizes]
    return SpreadResult(sizes=sizes, measured=measured, expected=expected)


def report(result: SpreadResult) -> Report:
    """What to show: a headline with the measured numbers, then tables and plots (the terminal, --json and
    the app all draw this same Report)."""
    n, got, want = result.sizes[-1], result.measured[-1], result.expected[-1]
    worst = max(abs(m / e - 1) for m, e in zip(result.measured, result.expected, strict=True))
    rows = [[n_, m, e, m / e] for n_, m, e in zip(result.sizes, result.measured, result.expected, strict=True)]
    return Report(
        headline=(
            f"At n = {n} the mean of uniform samples spread by {got:.4f}, against 1/sqrt(12 n) = {want:.4f}; "
            f"every size was within {worst:.1%} of the formula over {result.params['trials']} trials."
        ),
        metrics={"largest_n": n, "measured_std": got, "expected_std": want, "worst_relative_error": worst},
        series={
            "measured": Series([float(s) for s in result.sizes], result.measured),
            "1/sqrt(12 n)": Series([float(s) for s in result.sizes], result.expected),
        },
        plots=[
            Plot("spread of the mean against n", ["measured", "1/sqrt(12 n)"], "n", "std", log_x=True, log_y=True)
        ],
        tables=[Table("one row per sample size", ["n", "measured std", "1/sqrt(12 n)", "ratio"], rows)],
        notes=["Halving the spread takes four times the samples: the 1/sqrt(n) of the standard error."],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
'''


def render(name: str) -> str:
    return _TEMPLATE.replace("@NAME@", name)


def name_problem(name: str, bundled: set[str]) -> str | None:
    """Why ``name`` cannot name a new demo (None when it can)."""
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        return f"'{name}' is not a Python name (letters, digits and _, not starting with a digit): demos are modules"
    if name.startswith("_"):
        return f"'{name}' starts with _: such files are not demos"
    if name in bundled:
        return f"'{name}' is the name of a bundled demo or module; choose another name"
    if name in sys.stdlib_module_names or importlib.util.find_spec(name) is not None:
        return f"'{name}' is the name of an installed module, which your demos could no longer import; choose another"
    if name in ("list", "run"):
        return f"'{name}' is a word of 'gistquiz demo'; choose another name"
    return None
