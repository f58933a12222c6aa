"""The last result of each demo, per card and parameters, so a card shows it again without a re-run.

It lives in the review database's ``demo_runs`` table (created with the rest of the schema by
:mod:`gistquiz.store`) and uses the store's connection, so it shares its transactions and its lock.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gistquiz.store import Store


class DemoCache:
    def __init__(self, store: Store):
        self.store = store

    def get(self, card_key: str, demo: str, params: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
        """(result, ISO time it ran) of the last run with exactly these parameters, or None."""
        row = self.store.db.execute(
            "SELECT result, ran_at FROM demo_runs WHERE card_key=? AND demo=? AND params=?",
            (card_key, demo, _params_key(params)),
        ).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def save(self, card_key: str, demo: str, params: dict[str, Any], result: dict[str, Any], now: datetime) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO demo_runs VALUES (?,?,?,?,?)",
                (card_key, demo, _params_key(params), json.dumps(result), now.isoformat()),
            )


def _params_key(params: dict[str, Any]) -> str:
    # Sorted, so that the same parameters given in another order find the same row.
    return json.dumps(params, sort_keys=True)
