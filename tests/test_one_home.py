"""Answering rules each have one home: scans of the package source for copies that would drift apart.

- The right/wrong -> rating rule (``Rating.GOOD if right else Rating.AGAIN``) lives in ``grading.py``.
- Rating labels (Again, Hard, Good, Easy) are :class:`gistquiz.scheduler.Rating`'s; no module spells them.
- The leech notice is ``session.LEECH_NOTICE``.
- Only the session writes an answer (``store.answer``, a schedule from ``scheduler.review``); replaying
  a log (``rebuild.py``) and converting Anki's history (``interop/history.py``) compute states, too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gistquiz
from gistquiz.scheduler import Rating
from gistquiz.session import LEECH_NOTICE

PACKAGE = Path(gistquiz.__file__).parent
LABELS = {r.label for r in Rating}


def sources() -> dict[str, ast.Module]:
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(), str(p)) for p in PACKAGE.rglob("*.py")}


def _is_rating(node: ast.expr) -> bool:
    """``Rating.X`` or ``Rating(...)``."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "Rating"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Rating"


def _owner(node: ast.expr) -> str:
    """The last name of what a method is called on: ``ws.store`` -> ``store``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def rating_rules(tree: ast.Module) -> list[int]:
    """Lines choosing between two ratings on a condition (an ``if``/``else`` expression)."""
    return [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.IfExp) and _is_rating(n.body) and _is_rating(n.orelse)
    ]


def label_strings(tree: ast.Module) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in LABELS]


def leech_notices(tree: ast.Module) -> list[int]:
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and "consider rewriting" in n.value.lower()
    ]


def schedule_writes(tree: ast.Module) -> list[tuple[int, str]]:
    """Calls of ``<...>.store.answer(...)`` and ``<...>.scheduler.review(...)``."""
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            call = f"{_owner(n.func.value)}.{n.func.attr}"
            if call in ("store.answer", "scheduler.review"):
                out.append((n.lineno, call))
    return out


def test_the_scans_find_what_they_look_for():
    old_quiz_screen = ast.parse(
        'RATINGS = {Rating.AGAIN: "Again"}\n'
        "rating = Rating.GOOD if grade.correct else Rating.AGAIN\n"
        "ws.store.answer(key, deck, rating, now, lambda s: ws.scheduler.review(s, rating, now), source='quiz')\n"
        'say("This card is a leech (many lapses): suspended. Consider rewriting it.")\n'
    )
    assert rating_rules(old_quiz_screen) == [2]
    assert label_strings(old_quiz_screen) == [1]
    assert sorted(schedule_writes(old_quiz_screen)) == [(3, "scheduler.review"), (3, "store.answer")]
    assert leech_notices(old_quiz_screen) == [4]


def test_right_and_wrong_become_ratings_only_in_grading():
    found = {path: lines for path, tree in sources().items() if (lines := rating_rules(tree))}
    assert set(found) <= {"grading.py"}, found
    assert "grading.py" in found  # the rule is still there, in its home


def test_rating_labels_and_the_leech_notice_are_spelled_once():
    assert not {path: lines for path, tree in sources().items() if (lines := label_strings(tree))}
    found = {path: lines for path, tree in sources().items() if (lines := leech_notices(tree))}
    assert found == {"session.py": found.get("session.py")} and len(found["session.py"]) == 1, found
    assert "Consider rewriting" in LEECH_NOTICE


def test_only_the_session_writes_an_answer_to_the_schedule():
    found = {path: calls for path, tree in sources().items() if (calls := schedule_writes(tree))}
    assert {c for _, c in found.pop("session.py")} == {"store.answer", "scheduler.review"}
    # recomputing states from a log is not answering a card
    assert {path: {c for _, c in calls} for path, calls in found.items()} == {
        "rebuild.py": {"scheduler.review"},
        "interop/history.py": {"scheduler.review"},
    }
