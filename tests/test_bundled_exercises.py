"""The bundled exercises: for each, the starter fails, the solution passes, and plausible wrong answers fail."""

from __future__ import annotations

import pytest

from gistquiz.deck import Kind, read_deck
from gistquiz.exercise import Limits, grade
from gistquiz.locations import bundled_decks_dir

DECK = read_deck(bundled_decks_dir() / "gist-dl-exercises.md")
EXERCISES = {c.note_id: c.exercise for c in DECK.cards if c.kind is Kind.EXERCISE}
LIMITS = Limits(wall_seconds=5, cpu_seconds=10)

SOFT = "import numpy as np\ndef soft_threshold(w, lam, lr):\n"

# Mistakes a learner makes, each of which the exercise's tests must catch.
WRONG = {
    "ex-softmax-cross-entropy": {
        "no max shift (overflows at 1e3)": """
import numpy as np
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    d = p.copy()
    d[np.arange(N), y] -= 1
    return float(loss), d / N
""",
        "gradient not divided by N": """
import numpy as np
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(N), y] -= 1
    return float(-logp[np.arange(N), y].mean()), d
""",
        "shape-only answer": """
import numpy as np
def softmax_cross_entropy(scores, y):
    return 0.0, np.zeros_like(scores)
""",
    },
    "ex-conv-output-size": {
        "forgets the +1": "def conv_output_size(W, F, P, S):\n    return (W - F + 2 * P) // S\n",
        "pads one side only": "def conv_output_size(W, F, P, S):\n    return (W - F + P) // S + 1\n",
        "never raises": "def conv_output_size(W, F, P, S):\n    return (W - F + 2 * P) // S + 1\n",
    },
    "ex-conv-forward-naive": {
        "bias once per channel": """
import numpy as np
def conv_forward_naive(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(win * w[f]) + C * b[f]
    return out
""",
        "ignores the padding": """
import numpy as np
def conv_forward_naive(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H - HH) // stride, 1 + (W - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = x[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(win * w[f]) + b[f]
    return out
""",
        "shape-only answer": """
import numpy as np
def conv_forward_naive(x, w, b, stride, pad):
    H = 1 + (x.shape[2] + 2 * pad - w.shape[2]) // stride
    W = 1 + (x.shape[3] + 2 * pad - w.shape[3]) // stride
    return np.zeros((x.shape[0], w.shape[0], H, W))
""",
    },
    "ex-batchnorm-forward": {
        "batch statistics in test mode": """
import numpy as np
def batchnorm_forward(x, gamma, beta, mode, running_mean, running_var, momentum=0.1, eps=1e-5):
    N = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    if mode == "test":
        return out, running_mean, running_var
    rv = (1 - momentum) * running_var + momentum * var * N / (N - 1)
    return out, (1 - momentum) * running_mean + momentum * mu, rv
""",
        "momentum the wrong way round": """
import numpy as np
def batchnorm_forward(x, gamma, beta, mode, running_mean, running_var, momentum=0.1, eps=1e-5):
    if mode == "test":
        return (x - running_mean) / np.sqrt(running_var + eps) * gamma + beta, running_mean, running_var
    N = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    rv = momentum * running_var + (1 - momentum) * var * N / (N - 1)
    return out, momentum * running_mean + (1 - momentum) * mu, rv
""",
        "forgets gamma and beta": """
import numpy as np
def batchnorm_forward(x, gamma, beta, mode, running_mean, running_var, momentum=0.1, eps=1e-5):
    if mode == "test":
        return (x - running_mean) / np.sqrt(running_var + eps), running_mean, running_var
    N = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    out = (x - mu) / np.sqrt(var + eps)
    rv = (1 - momentum) * running_var + momentum * var * N / (N - 1)
    return out, (1 - momentum) * running_mean + momentum * mu, rv
""",
    },
    "ex-rnn-step": {
        "sigmoid instead of tanh": """
import numpy as np
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return 1 / (1 + np.exp(-(x @ Wx + prev_h @ Wh + b)))
""",
        "forgets the recurrence": """
import numpy as np
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.tanh(x @ Wx + b)
""",
        "shape-only answer": """
import numpy as np
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.zeros((x.shape[0], Wh.shape[0]))
""",
    },
    "ex-bleu-parts": {
        "unclipped precision and brevity penalty upside down": """
import math
def modified_precision(candidate, references, n):
    grams = [tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1)]
    if not grams:
        return 0.0
    ref_grams = {tuple(r[i : i + n]) for r in references for i in range(len(r) - n + 1)}
    return sum(g in ref_grams for g in grams) / len(grams)
def brevity_penalty(c, r):
    return 0.0 if c == 0 else (1.0 if c > r else math.exp(1 - c / r))
""",
        "clips by the sum over references": """
import math
from collections import Counter
def modified_precision(candidate, references, n):
    grams = Counter(tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1))
    if not grams:
        return 0.0
    total = Counter()
    for r in references:
        total += Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
    return sum(min(c, total[g]) for g, c in grams.items()) / sum(grams.values())
def brevity_penalty(c, r):
    return 0.0 if c == 0 else (1.0 if c > r else math.exp(1 - r / c))
""",
    },
    "ex-inverted-dropout": {
        "no 1/(1-p) scale": """
import numpy as np
def dropout_forward(x, p, mode, seed=0):
    if mode == "test":
        return x
    return x * (np.random.default_rng(seed).random(x.shape) >= p)
""",
        "p taken as the keep probability": """
import numpy as np
def dropout_forward(x, p, mode, seed=0):
    if mode == "test":
        return x
    return x * (np.random.default_rng(seed).random(x.shape) < p) / p
""",
        "scales at test time too": """
import numpy as np
def dropout_forward(x, p, mode, seed=0):
    if mode == "test":
        return x / (1 - p)
    return x * (np.random.default_rng(seed).random(x.shape) >= p) / (1 - p)
""",
    },
    "ex-l1-soft-threshold": {
        "a plain subgradient step": SOFT + "    return w - lr * lam * np.sign(w)\n",
        "hard threshold": SOFT + "    return np.where(np.abs(w) > lr * lam, w, 0.0)\n",
        "shrinks by lam, not lr * lam": """
import numpy as np
def soft_threshold(w, lam, lr):
    return np.sign(w) * np.maximum(np.abs(w) - lam, 0.0)
""",
    },
    "ex-numerical-gradient": {
        "one-sided difference": """
import numpy as np
def sum_of_cubes(x):
    return float(np.sum(x**3))
def log_sum_exp(x):
    return float(np.logaddexp.reduce(x.ravel()))
def numerical_gradient(f_name, x, h=1e-5):
    f = globals()[f_name]
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        g[i] = (f(x) - fx) / h
        x[i] = old
    return g
""",
        "differentiates the wrong function": """
import numpy as np
def sum_of_cubes(x):
    return float(np.sum(x**2))
def log_sum_exp(x):
    return float(np.sum(x))
def numerical_gradient(f_name, x, h=1e-5):
    f = globals()[f_name]
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        g[i] = (plus - f(x)) / (2 * h)
        x[i] = old
    return g
""",
        "shape-only answer": (
            "import numpy as np\ndef numerical_gradient(f_name, x, h=1e-5):\n    return np.zeros_like(x)\n"
        ),
    },
}


def test_the_deck_loads_with_at_least_eight_exercises():
    assert DECK.errors == []
    assert DECK.title == "Deep learning: write the code"
    assert len(EXERCISES) >= 8
    assert set(WRONG) == set(EXERCISES), "every exercise needs its wrong answers here"
    for note_id, exercise in EXERCISES.items():
        assert exercise.solution.strip(), note_id
        assert '"""' in exercise.starter, f"{note_id}: the starter's docstring gives the shapes"


@pytest.mark.parametrize("note_id", sorted(EXERCISES))
def test_starter_fails_solution_passes_wrong_answers_fail(note_id):
    exercise = EXERCISES[note_id]
    starter = grade(exercise, exercise.starter, LIMITS)
    assert not starter.passed, f"{note_id}: the starter passes"
    solution = grade(exercise, exercise.solution, LIMITS)
    assert solution.passed, f"{note_id}: {solution.summary}: {[r.message for r in solution.results]}"
    for what, code in WRONG[note_id].items():
        verdict = grade(exercise, code, LIMITS)
        assert not verdict.passed, f"{note_id}: the wrong answer '{what}' passes"
        assert not verdict.error, f"{note_id}: '{what}': {verdict.error}"
