"""A demo's last result per card and parameters, kept in the review database beside the review log."""

from __future__ import annotations

from datetime import UTC, datetime

from gistquiz.demo_cache import DemoCache
from gistquiz.store import Store
from gistquiz.workspace import Workspace

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_demo_results_are_cached_per_card_and_parameters(tmp_path):
    with Store(tmp_path / "db.sqlite3") as store:
        cache = DemoCache(store)
        cache.save("d:a", "bleu", {"smoothing": "none", "n": 4}, {"score": 0.5}, T0)
        assert cache.get("d:a", "bleu", {"n": 4, "smoothing": "none"}) == ({"score": 0.5}, T0.isoformat())
        assert cache.get("d:a", "bleu", {"smoothing": "floor", "n": 4}) is None
        assert cache.get("d:b", "bleu", {"smoothing": "none", "n": 4}) is None
        cache.save("d:a", "bleu", {"smoothing": "none", "n": 4}, {"score": 0.75}, T0)  # a re-run replaces it
        assert cache.get("d:a", "bleu", {"smoothing": "none", "n": 4})[0] == {"score": 0.75}
    with Store(tmp_path / "db.sqlite3") as store:
        assert DemoCache(store).get("d:a", "bleu", {"smoothing": "none", "n": 4})[0] == {"score": 0.75}


def test_the_workspace_cache_follows_its_store_through_close(tmp_path):
    ws = Workspace.open(tmp_path / "home")
    ws.demo_cache.save("d:a", "quick", {"seed": 0}, {"count": 3}, T0)
    ws.close()  # closes the store's connection; the next use opens it again
    assert ws.demo_cache.get("d:a", "quick", {"seed": 0}) == ({"count": 3}, T0.isoformat())
    ws.close()
