"""Fixtures shared by the tests. Every test gets its own data folder: no test touches a real user's data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# One BLAS thread per process, for the tests and the demo processes they start: with two test workers on two
# cores, OpenBLAS's default of one thread per core oversubscribes the machine (a demo test went from 7 s to 113 s).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    from threadpoolctl import threadpool_limits  # comes with scikit-learn; also covers a BLAS already loaded

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _own_grading_pool(monkeypatch: pytest.MonkeyPatch):
    """Each test starts with no grading worker waiting (the exercise screen starts one) and ends its own."""
    from gistquiz import exercise

    pool = exercise.Pool()
    monkeypatch.setattr(exercise, "POOL", pool)
    yield
    pool.close()


@pytest.fixture(autouse=True)
def gistquiz_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GISTQUIZ_HOME", str(home))
    return home


@pytest.fixture
def write_deck(tmp_path: Path):
    """Write a deck file from text and return its path."""

    def write(text: str, name: str = "deck.md") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
