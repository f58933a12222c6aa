"""The 8x8 handwritten digits (scikit-learn's ``load_digits``) as images, split 80/20 for the demos.

1797 images of 8x8 pixels, 0..16 ink levels, ten balanced classes. They are a
copy of the UCI optdigits *test* set, written by 13 people; a random stratified
split (as here) scores a few points higher than splitting by writer would.

The file is the one scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``),
found without importing scikit-learn and read with NumPy: importing scikit-learn
takes ten times as long as the demo's own imports. :func:`stratified_split` is
scikit-learn's ``train_test_split(..., stratify=y)`` step by step, so the split
(and every number a demo prints) is the one scikit-learn would give; a test
checks both against scikit-learn itself.

    from digits import load
    data = load()  # data.x_train (1437, 1, 8, 8) in [0, 1], data.y_train (1437,)

The arrays are loaded once per process and shared: treat them as read-only.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Digits:
    """A train/test split of the digits: images (N, 1, 8, 8) in [0, 1] (float64 unless asked), labels (N,) in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digits_file() -> Path:
    """scikit-learn's bundled ``digits.csv.gz``, located without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")  # a top-level package: found, not imported
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the digits demos read the digits scikit-learn ships: pip install scikit-learn")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """``load_digits()``'s ``images`` (1797, 8, 8) float64 in 0..16 and ``target`` (1797,) int."""
    with gzip.open(digits_file(), "rb") as f:
        data = f.read()
    table = parse_integer_csv(data, columns=65)  # (1797, 65): 64 pixels, then the digit
    if table is None:  # not the plain integers it has always held: the general reader
        table = np.loadtxt(data.decode("ascii").splitlines(), delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(int)


def parse_integer_csv(data: bytes, columns: int) -> np.ndarray | None:
    """Rows of ``columns`` comma-separated non-negative integers, one row per line, as float64 (rows, columns);
    None if ``data`` holds anything else (a sign, a decimal point, an empty field, a short row).

    Vectorised over the bytes: 1-2 ms for the digits' 265 kB, where ``np.loadtxt`` takes 16 ms.
    """
    if not data.endswith(b"\n"):
        data += b"\n"
    b = np.frombuffer(data, dtype=np.uint8)  # (n_bytes,)
    is_sep = (b == ord(",")) | (b == ord("\n"))
    is_digit = (b >= ord("0")) & (b <= ord("9"))
    if not np.all(is_sep | is_digit):
        return None
    ends = np.flatnonzero(is_sep)  # (n_fields,) where each field ends
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts
    line_ends = np.flatnonzero(b[ends] == ord("\n"))  # field numbers that end a row
    if lengths.min() < 1 or lengths.max() > 15 or len(ends) % columns:
        return None  # an empty field, or a number float64 might not hold exactly
    if not np.array_equal(line_ends, np.arange(columns - 1, len(ends), columns)):
        return None  # a row with too few or too many fields
    values = (b[starts] - ord("0")).astype(np.float64)  # (n_fields,) each number's first digit
    for k in range(1, lengths.max()):  # Horner's rule, one digit position at a time: value * 10 + next digit
        longer = np.flatnonzero(lengths > k)  # the fields with a (k+1)-th digit
        values[longer] = values[longer] * 10 + (b[starts[longer] + k] - ord("0"))
    return values.reshape(-1, columns)


def approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """How many of ``n_draws`` to take from each class: proportional, floored, the rest handed out by
    largest remainder with ties broken at random (scikit-learn's ``_approximate_mode``)."""
    continuous = class_counts / class_counts.sum() * n_draws  # (K,)
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in sorted(set(remainder.tolist()), reverse=True):  # np.unique would import numpy.ma: 8 ms
            (tied,) = np.where(remainder == value)
            take = min(len(tied), need)
            floored[rng.choice(tied, size=take, replace=False)] += 1  # draws even when taking all: same stream
            need -= take
            if need == 0:
                break
    return floored.astype(int)


def stratified_split(y: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with each class in proportion: ``train_test_split(..., test_size=test_size,
    random_state=seed, stratify=y)`` (StratifiedShuffleSplit), the same random draws in the same order.

    A ``RandomState`` (not ``default_rng``) because that is the generator scikit-learn seeds.
    """
    n_test = math.ceil(test_size * len(y))
    n_train = len(y) - n_test
    _, y_index, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    by_class = np.split(np.argsort(y_index, kind="stable"), np.cumsum(class_counts)[:-1])  # K index arrays
    rng = np.random.RandomState(seed)
    n_i = approximate_mode(class_counts, n_train, rng)  # (K,) training images per class
    t_i = approximate_mode(class_counts - n_i, n_test, rng)  # (K,) test images per class
    train, test = [], []
    for i, members in enumerate(by_class):
        shuffled = members[rng.permutation(class_counts[i])]
        train.append(shuffled[: n_i[i]])
        test.append(shuffled[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


@cache
def load(seed_split: int = 0, test_size: float = 0.2, dtype: type = np.float64) -> Digits:
    """The digits split into train and test sets, stratified by class.

    Parameters
    ----------
    seed_split : the ``random_state`` scikit-learn's ``train_test_split`` would be given
    test_size : fraction of the images held out for testing
    dtype : of the images (the pixels k / 16 are exact in float32 too)
    """
    pixels, target = read_digits()
    images = (pixels / 16.0)[:, None].astype(dtype, copy=False)  # (1797, 1, 8, 8) in [0, 1]
    labels = target.astype(np.int64)  # (1797,)
    train, test = stratified_split(labels, test_size, seed_split)
    x_train, x_test, y_train, y_test = images[train], images[test], labels[train], labels[test]
    for a in (x_train, x_test, y_train, y_test):
        a.flags.writeable = False  # shared by every caller in this process
    return Digits(x_train, y_train, x_test, y_test)


def standardised_flat(dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flattened digits (N, 64), each pixel standardised with the training set's mean and std: for MLPs.

    Returns ``x_train, y_train, x_test, y_test``.
    """
    d = load()
    x_train = d.x_train.reshape(len(d.x_train), -1)  # (N_train, 64)
    x_test = d.x_test.reshape(len(d.x_test), -1)  # (N_test, 64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0  # pixels that are blank in every training image stay 0
    return ((x_train - mean) / std).astype(dtype), d.y_train, ((x_test - mean) / std).astype(dtype), d.y_test
