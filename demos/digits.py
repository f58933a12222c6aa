"""The 8x8 handwritten digits (scikit-learn's ``load_digits``) as images, split 80/20 for the demos.

1797 images of 8x8 pixels, 0..16 ink levels, ten balanced classes. They are a
copy of the UCI optdigits *test* set, written by 13 people; a random stratified
split (as here) scores a few points higher than splitting by writer would.

    from digits import load
    data = load()  # data.x_train (1437, 1, 8, 8) in [0, 1], data.y_train (1437,)

The arrays are loaded once per process and shared: treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Digits:
    """A train/test split of the digits: images (N, 1, 8, 8) float64 in [0, 1], labels (N,) in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@cache
def load(seed_split: int = 0, test_size: float = 0.2) -> Digits:
    """The digits split into train and test sets, stratified by class.

    Parameters
    ----------
    seed_split : ``random_state`` of scikit-learn's ``train_test_split``
    test_size : fraction of the images held out for testing
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    labels = bunch.target.astype(np.int64)  # (1797,)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed_split, stratify=labels
    )
    for a in (x_train, x_test, y_train, y_test):
        a.flags.writeable = False  # shared by every caller in this process
    return Digits(x_train, y_train, x_test, y_test)
