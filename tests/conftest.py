"""Fixtures shared by the tests. Every test gets its own data folder: no test touches a real user's data."""

from __future__ import annotations

from pathlib import Path

import pytest


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
