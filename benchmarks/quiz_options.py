"""How a quiz's wrong options look next to the right one, on the bundled deck over seeds 0-19.

Prints the share of wrong options of the right answer's shape (a term or a sentence, by a yardstick
defined here so that it measures any version of the quiz alike), the length ratio (longer over
shorter, in characters) of wrong option to right answer, and how many options hold a line break.

    python benchmarks/quiz_options.py
"""

from __future__ import annotations

import statistics
import tempfile

from gistquiz import quiz
from gistquiz.workspace import Workspace


def shape(text: str) -> str:
    text = " ".join(text.split())
    if "```" in text:
        return "code"
    return "term" if len(text.split()) <= 6 and not text.endswith((".", "!", "?")) else "sentence"


def main() -> None:
    ws = Workspace.open(tempfile.mkdtemp(), [])
    cards = [c for d in ws.library.decks for c in d.cards]
    same = total = multiline = options = 0
    ratios: list[float] = []
    for seed in range(20):
        for q in quiz.build(cards, seed=seed):
            if q.kind.value != "choice" or q.card.kind.value == "choice":
                continue  # only the options the quiz chose (a choice card brings its own)
            right = q.options[min(q.correct)]
            for i, o in enumerate(q.options):
                options += 1
                multiline += "\n" in o
                if i in q.correct:
                    continue
                total += 1
                same += shape(o) == shape(right)
                ratios.append(max(len(o), len(right)) / max(1, min(len(o), len(right))))
    print(
        f"wrong options of the right answer's shape: {same}/{total} = {same / total:.0%}; "
        f"length ratio median {statistics.median(ratios):.2f}, "
        f"90th percentile {statistics.quantiles(ratios, n=10)[-1]:.2f}; "
        f"options with a line break: {multiline}/{options}"
    )


if __name__ == "__main__":
    main()
