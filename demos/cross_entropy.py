"""Cross-entropy is log loss generalised to many classes: with two classes it is exactly the binary log loss.

A classifier gives each example n a probability for every class k; call the
probability it gives the *true* class ``p_n = P[n, y_n]``. Its cross-entropy
(in nats) is the mean surprise at the right answers:

    L = -(1/N) sum_n ln P[n, y_n]

Binary log loss, for one probability ``p_n`` of class 1 per example, is

    L = -(1/N) sum_n [ y_n ln p_n + (1 - y_n) ln(1 - p_n) ]

which is the same formula with two classes whose probabilities are
``(1 - p_n, p_n)``: only the term of the true class survives.

A network turns its scores (logits) ``z`` into probabilities with the
softmax, ``P[n, k] = exp(z_nk) / sum_j exp(z_nj)``. With two classes the
softmax is the logistic sigmoid of the score difference,
``softmax(z_0, z_1)_1 = sigmoid(z_1 - z_0)``: logistic regression is softmax
regression with two classes. The gradient of the mean cross-entropy with
respect to the logits is simply ``(P - onehot(y)) / N``, which is why the two
are always used together.

Two numbers to remember:

- the loss of one example is ``-ln p``: 0 when the true class gets p = 1,
  ln 2 = 0.69 at p = 0.5, and it grows without bound as p -> 0 (scikit-learn
  clips p at the machine epsilon, 2.2e-16, so one confident mistake costs at
  most 36);
- a model that gives every one of K classes 1/K scores exactly ln K
  (ln 10 = 2.303): CS231n's sanity check for the loss of an untrained network.

The demo computes every quantity from scratch on random predictions;
``--compare-sklearn true`` also compares the losses with
``sklearn.metrics.log_loss`` (they agree to 1e-12) and says what importing
scikit-learn cost (off by default: the import takes longer than the demo).

References: CS231n notes "Linear classification" (softmax classifier) and
"Neural Networks Part 3" (loss at initialisation); scikit-learn's
``log_loss`` (which cites Bishop 2006, *Pattern Recognition and Machine
Learning*, p. 209).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
from harness import Param, Plot, Progress, Report, Result, Series, Table, main, takes
from layers import eval_numerical_gradient, rel_error, row_max

PARAMS = [
    Param("samples", 1000, "random examples in each comparison", low=2, high=100_000),
    Param("classes", 10, "classes K in the many-class comparison", low=3, high=100),
    Param(
        "logit_scale",
        4.0,
        "std of the random logits: larger gives more confident predictions, some clipped at 0 or 1",
        low=0.0,
        high=100.0,
    ),
    Param(
        "compare_sklearn",
        False,
        "also compute scikit-learn's log_loss, the reference (importing scikit-learn takes longer than the demo)",
    ),
]

EPS = np.finfo(np.float64).eps
"""Probabilities are clipped to [EPS, 1 - EPS] before the log, as ``sklearn.metrics.log_loss`` does."""
GRADIENT_EXAMPLES = 4  # the numerical gradient costs 2 N K loss evaluations: check a few rows


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits ``z`` (N, K); subtracting each row's maximum keeps ``exp`` finite."""
    e = np.exp(z - row_max(z))  # (N, K)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def cross_entropy(P: np.ndarray, y: np.ndarray) -> float:
    """Mean ``-ln P[n, y_n]`` in nats, probabilities clipped to [EPS, 1 - EPS].

    Parameters
    ----------
    P : (N, K) predicted probabilities, rows summing to 1
    y : (N,) true classes in 0..K-1
    """
    p_true = np.clip(P[np.arange(len(y)), y], EPS, 1.0 - EPS)  # (N,)
    return float(-np.mean(np.log(p_true)))


def binary_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean ``-[y ln p + (1 - y) ln(1 - p)]``, each probability clipped to [EPS, 1 - EPS].

    Parameters
    ----------
    y : (N,) labels 0 or 1
    p : (N,) predicted probability of class 1
    """
    p_one = np.clip(p, EPS, 1.0 - EPS)
    p_zero = np.clip(1.0 - p, EPS, 1.0 - EPS)  # clip the probability of class 0 itself, as for K classes
    return float(-np.mean(y * np.log(p_one) + (1 - y) * np.log(p_zero)))


def softmax_cross_entropy_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of ``cross_entropy(softmax(z), y)`` with respect to the logits: ``(P - onehot(y)) / N``."""
    N, K = z.shape
    onehot = np.eye(K)[y]  # (N, K)
    return (softmax(z) - onehot) / N


@dataclass
class CrossEntropyResult(Result):
    multi_loss: float
    """Cross-entropy of the K-class random predictions, from scratch."""
    multi_loss_sklearn: float | None
    binary_loss: float
    """Binary log loss of the 2-class random predictions, from scratch."""
    binary_as_two_class_ce: float
    """The same predictions as a 2-column probability matrix, through :func:`cross_entropy`."""
    binary_loss_sklearn: float | None
    sklearn_seconds: float | None
    """Wall-clock time of the scikit-learn comparison, its import included."""
    clipped: int
    """Predicted probabilities (of either comparison) that the clipping changed."""
    softmax_vs_sigmoid: float
    """max |softmax(0, z)_1 - sigmoid(z)| over the binary logits."""
    gradient_rel_error: float
    """CS231n relative error of ``(P - onehot) / N`` against a centred numerical gradient."""
    chance_loss: float
    """Cross-entropy of the uniform prediction 1/K, to compare with ln K."""
    p_grid: np.ndarray
    loss_grid: np.ndarray


@takes(PARAMS)
def run(p: dict, seed: int, progress: Progress | None) -> CrossEntropyResult:
    rng = np.random.default_rng(seed)
    N, K, scale = p["samples"], p["classes"], p["logit_scale"]

    z_multi = rng.normal(0.0, scale, size=(N, K))  # (N, K) logits
    y_multi = rng.integers(0, K, size=N)
    P_multi = softmax(z_multi)
    z_binary = rng.normal(0.0, scale, size=N)  # (N,) logit of class 1
    y_binary = rng.integers(0, 2, size=N)
    p_binary = sigmoid(z_binary)
    P_binary = np.stack([1.0 - p_binary, p_binary], axis=1)  # (N, 2): probabilities of class 0 and 1
    if progress is not None:
        progress(1, 3, message="losses from scratch")

    multi_loss = cross_entropy(P_multi, y_multi)
    binary_loss = binary_log_loss(y_binary, p_binary)
    binary_as_two_class_ce = cross_entropy(P_binary, y_binary)
    clipped = int(np.sum((P_multi < EPS) | (P_multi > 1 - EPS)) + np.sum((P_binary < EPS) | (P_binary > 1 - EPS)))
    two_class_softmax = softmax(np.stack([np.zeros(N), z_binary], axis=1))  # (N, 2) with logits (0, z)
    softmax_vs_sigmoid = float(np.max(np.abs(two_class_softmax[:, 1] - sigmoid(z_binary))))

    # Unit-scale logits for the check: a probability of 1e-9 has a gradient below the finite difference's noise.
    z_check = rng.normal(size=(GRADIENT_EXAMPLES, K))  # (n, K)
    y_check = y_multi[:GRADIENT_EXAMPLES]
    numerical = eval_numerical_gradient(lambda z: cross_entropy(softmax(z), y_check), z_check)
    gradient_rel_error = rel_error(softmax_cross_entropy_grad(z_check, y_check), numerical)
    chance_loss = cross_entropy(np.full((N, K), 1.0 / K), y_multi)

    multi_loss_sklearn = binary_loss_sklearn = sklearn_seconds = None
    if p["compare_sklearn"]:
        if progress is not None:
            progress(2, 3, message="importing scikit-learn")
        start = time.perf_counter()
        from sklearn.metrics import log_loss

        multi_loss_sklearn = float(log_loss(y_multi, P_multi, labels=np.arange(K)))
        binary_loss_sklearn = float(log_loss(y_binary, p_binary, labels=[0, 1]))
        sklearn_seconds = time.perf_counter() - start
    if progress is not None:
        progress(3, 3, message="done")

    p_grid = np.geomspace(1e-3, 1.0, 200)
    return CrossEntropyResult(
        multi_loss=multi_loss,
        multi_loss_sklearn=multi_loss_sklearn,
        binary_loss=binary_loss,
        binary_as_two_class_ce=binary_as_two_class_ce,
        binary_loss_sklearn=binary_loss_sklearn,
        sklearn_seconds=sklearn_seconds,
        clipped=clipped,
        softmax_vs_sigmoid=softmax_vs_sigmoid,
        gradient_rel_error=gradient_rel_error,
        chance_loss=chance_loss,
        p_grid=p_grid,
        loss_grid=-np.log(p_grid),
    )


def difference(a: float, b: float | None) -> float | None:
    return None if b is None else abs(a - b)


def report(result: CrossEntropyResult) -> Report:
    p = result.params
    K = p["classes"]
    multi_diff = difference(result.multi_loss, result.multi_loss_sklearn)
    binary_diff = difference(result.binary_loss, result.binary_loss_sklearn)
    two_class_diff = abs(result.binary_loss - result.binary_as_two_class_ce)
    if multi_diff is None:
        reference = " (--compare-sklearn true checks both against scikit-learn's log_loss)"
    else:
        reference = (
            f", and scikit-learn's log_loss agrees to {max(multi_diff, binary_diff):.1e} "
            f"(the comparison took {result.sklearn_seconds:.2f} s, importing scikit-learn included)"
        )
    headline = (
        f"On {p['samples']} random predictions, the binary log loss ({result.binary_loss:.6f}) equals "
        f"cross-entropy with two classes (difference {two_class_diff:.1e}); with {K} classes cross-entropy "
        f"is {result.multi_loss:.6f}{reference}."
    )
    rows = [
        ["cross-entropy, K classes", result.multi_loss, result.multi_loss_sklearn, multi_diff],
        ["binary log loss", result.binary_loss, result.binary_loss_sklearn, binary_diff],
        [
            "cross-entropy, 2 classes",
            result.binary_as_two_class_ce,
            result.binary_loss_sklearn,
            difference(result.binary_as_two_class_ce, result.binary_loss_sklearn),
        ],
        [f"uniform 1/{K} prediction", result.chance_loss, float(np.log(K)), abs(result.chance_loss - np.log(K))],
    ]
    losses = Table("from scratch against the reference", ["loss", "ours", "reference", "|difference|"], rows)
    examples = [1.0, 0.9, 0.5, 1.0 / K, 0.01, 1e-3, EPS]
    per_p = Table(
        "the loss of one example is -ln p, p = probability given to its true class",
        ["p", "-ln p"],
        [[q, float(np.log(1.0 / q))] for q in examples],
    )
    return Report(
        headline=headline,
        metrics={
            "multi_class_loss": result.multi_loss,
            "multi_class_loss_sklearn": result.multi_loss_sklearn,
            "multi_class_abs_diff": multi_diff,
            "binary_loss": result.binary_loss,
            "binary_loss_sklearn": result.binary_loss_sklearn,
            "binary_abs_diff": binary_diff,
            "sklearn_seconds": result.sklearn_seconds,
            "binary_vs_two_class_abs_diff": two_class_diff,
            "softmax_vs_sigmoid_max_diff": result.softmax_vs_sigmoid,
            "gradient_rel_error": result.gradient_rel_error,
            "chance_loss": result.chance_loss,
            "ln_classes": float(np.log(K)),
            "clipped_probabilities": result.clipped,
        },
        series={"-ln p": Series(result.p_grid.tolist(), result.loss_grid.tolist())},
        plots=[Plot("cross-entropy of one example", ["-ln p"], "p = predicted probability of the true class", "loss")],
        tables=[losses, per_p],
        notes=[
            f"Softmax over the two logits (0, z) equals sigmoid(z) to {result.softmax_vs_sigmoid:.1e}: "
            "logistic regression is softmax regression with two classes.",
            f"The gradient with respect to the logits, (P - onehot(y)) / N, matches a centred numerical "
            f"gradient with relative error {result.gradient_rel_error:.1e} (CS231n: below 1e-7 is right).",
            f"A prediction of 1/{K} for every class scores ln {K} = {np.log(K):.4f}: the loss to expect from "
            "an untrained classifier.",
            f"{result.clipped} predicted probabilities were below {EPS:.1e} from 0 or 1 and were clipped before "
            "the log, as scikit-learn does; raise logit_scale for more.",
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
