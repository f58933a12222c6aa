"""A graded answer as text: right or not, and a character diff that does not rely on colour alone."""

from __future__ import annotations

from rich.text import Text

from gistquiz.grading import Grade


def diff_text(grade: Grade) -> Text:
    text = Text()
    if grade.correct:
        text.append("✓ Right", style="bold green")
        if not grade.exact:
            text.append(f"  (expected “{grade.expected}”)")
    else:
        text.append("✗ Not quite", style="bold red")
        text.append(f": expected “{grade.expected}”")
    if grade.diff and not grade.exact:
        text.append("\n  your answer: ")
        for op, chunk in grade.diff:
            if op == "equal":
                text.append(chunk)
            elif op == "delete":
                text.append(f"[-{chunk}-]", style="red strike")
            else:
                text.append(f"{{+{chunk}+}}", style="green underline")
    return text
