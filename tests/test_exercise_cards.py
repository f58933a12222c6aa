"""Exercise cards in a deck: the format, ``check``, the card's two sides, the quiz and the Anki export."""

from __future__ import annotations

from gistquiz import quiz
from gistquiz.card_text import back_text, front_text
from gistquiz.cli import main
from gistquiz.deck import Kind, parse_deck
from gistquiz.interop.anki_export import export_notes
from gistquiz.interop.anki_model import GQ_BASIC

DECK = '''# Exercises

## Softmax
type: exercise
tags: softmax

Write a numerically stable softmax over the rows.

```python
def softmax(x):
    """x: (N, C) scores -> (N, C) probabilities; rows sum to one."""
```

```python tests
def test_closed_form():
    close(softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
```

```python solution
import numpy as np

def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))  # (N, C)
    return e / e.sum(axis=1, keepdims=True)
```

Subtracting the row max changes nothing mathematically and keeps exp finite.

## What is 2 + 2?

4
'''


def test_an_exercise_card_holds_task_starter_tests_and_solution():
    deck = parse_deck(DECK, "ex.md")
    assert deck.errors == []
    card, basic = deck.cards
    assert card.kind is Kind.EXERCISE and basic.kind is Kind.BASIC
    assert card.front == "Softmax\n\nWrite a numerically stable softmax over the rows."
    assert card.back == "Subtracting the row max changes nothing mathematically and keeps exp finite."
    assert card.exercise.functions == ["softmax"]
    assert card.exercise.test_names == ["test_closed_form"]
    assert card.exercise.tests_line == 14  # the line of its fence
    assert card.tags == ("softmax",)


def test_front_shows_task_and_starter_back_the_solution_and_the_text_after():
    card = parse_deck(DECK, "ex.md").cards[0]
    front, back = front_text(card), back_text(card)
    assert front.startswith("Softmax\n\nWrite a numerically stable softmax")
    assert "```python\ndef softmax(x):\n" in front and "rows sum to one" in front
    assert "np.exp" not in front and "test_closed_form" not in front
    assert back.startswith("Solution:\n\n```python\nimport numpy as np")
    assert back.endswith("keeps exp finite.")


def test_code_with_brackets_and_braces_is_neither_choice_nor_cloze():
    text = DECK.replace("    e = np.exp", "    d = {{'c1': [1]}}\n    e = np.exp")
    deck = parse_deck(text, "ex.md")
    assert deck.errors == []
    assert deck.cards[0].kind is Kind.EXERCISE


def test_check_reports_exercise_problems_with_file_and_line(tmp_path, capsys):
    broken = DECK.replace("```python tests", "```python tests\ndef test_x(:\n    pass")
    broken = broken.replace("## What is 2 + 2?", "## Empty\ntype: exercise\n\nNo code here.\n\n## What is 2 + 2?")
    path = tmp_path / "ex.md"
    path.write_text(broken, encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:15: syntax error in the tests" in out
    empty_line = broken.splitlines().index("## Empty") + 1
    assert f"{path}:{empty_line}: an exercise needs a ```python block with the starter code" in out
    assert "1 cards" in out  # the basic card still loads


def test_the_quiz_leaves_exercises_out_and_says_so():
    cards = parse_deck(DECK, "ex.md").cards
    questions = quiz.build(cards, seed=1)
    assert [q.card.kind for q in questions] == [Kind.BASIC]
    assert quiz.skipped_note(cards) == "1 exercise card left out: exercises are answered by writing code, in review"
    assert quiz.skipped_note(cards[1:]) == ""


def test_anki_export_writes_an_exercise_as_a_basic_note():
    deck = parse_deck(DECK, "ex.md")
    note = export_notes(deck)[0]
    assert note.notetype == GQ_BASIC
    front, back, _ = note.fields
    assert "Write a numerically stable softmax" in front and "def softmax(x):" in front
    assert "np.exp" not in front
    assert "Solution:" in back and "np.exp" in back
    assert "Tests:" in back and "test_closed_form" in back
