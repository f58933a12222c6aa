"""The digits without scikit-learn at run time: the same arrays as ``load_digits()`` and the same split as
``train_test_split(..., stratify=y)``, checked against scikit-learn itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from digits import digits_file, load, parse_integer_csv, read_digits, stratified_split
from hypothesis import given
from hypothesis import strategies as st

DEMOS = Path(__file__).resolve().parents[1] / "demos"


@pytest.fixture(scope="module")
def reference():
    from sklearn.datasets import load_digits

    return load_digits()


def test_read_digits_gives_load_digits_arrays(reference):
    images, target = read_digits()
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(target, reference.target)
    assert images.dtype == reference.images.dtype and target.dtype == reference.target.dtype


# seed 0 and test_size 0.2 are what every demo loads; the others guard the tie-breaking draws
@pytest.mark.parametrize("test_size", [0.2, 0.1, 0.25, 0.33, 0.5])
def test_stratified_split_gives_train_test_split_indices(reference, test_size):
    from sklearn.model_selection import train_test_split

    y = reference.target
    for seed in range(25):
        train, test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed, stratify=y)
        ours_train, ours_test = stratified_split(y, test_size, seed)
        np.testing.assert_array_equal(ours_train, train)
        np.testing.assert_array_equal(ours_test, test)


def test_load_gives_the_split_the_demos_had_with_scikit_learn(reference):
    from sklearn.model_selection import train_test_split

    images, labels = (reference.images / 16.0)[:, None], reference.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.2, random_state=0, stratify=labels)
    data = load()
    for ours, theirs in (
        (data.x_train, x_train),
        (data.x_test, x_test),
        (data.y_train, y_train),
        (data.y_test, y_test),
    ):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype


def test_loading_the_digits_imports_neither_scikit_learn_nor_numpy_ma():
    code = "import sys, digits; digits.load(); print('sklearn' in sys.modules, 'numpy.ma' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=DEMOS)
    assert out.stdout.strip() == "False False"


def test_the_integer_csv_reader_gives_loadtxts_table_for_the_digits_file():
    import gzip

    with gzip.open(digits_file(), "rb") as f:
        data = f.read()
    table = parse_integer_csv(data, columns=65)
    expected = np.loadtxt(data.decode("ascii").splitlines(), delimiter=",")
    assert table is not None and table.dtype == expected.dtype
    np.testing.assert_array_equal(table, expected)


@given(st.lists(st.lists(st.integers(0, 10**15 - 1), min_size=3, max_size=3), min_size=1, max_size=30), st.booleans())
def test_the_integer_csv_reader_gives_loadtxts_table(rows, final_newline):
    text = "\n".join(",".join(map(str, row)) for row in rows) + ("\n" if final_newline else "")
    table = parse_integer_csv(text.encode(), columns=3)
    np.testing.assert_array_equal(table, np.loadtxt(text.splitlines(), delimiter=",", ndmin=2))


@pytest.mark.parametrize(
    "data", [b"1,2\n3\n", b"1,2,3\n", b"1,-2\n", b"1.5,2\n", b"1e3,2\n", b"1,,2\n", b"1,2\r\n", b"", b"1,2\n\n"]
)
def test_the_integer_csv_reader_declines_anything_but_rows_of_plain_integers(data):
    assert parse_integer_csv(data, columns=2) is None  # read_digits then falls back to np.loadtxt
