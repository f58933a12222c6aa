"""The BLEU-weaknesses demo: every score equals nltk's method3, and the blind spots it claims are measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bleu_weaknesses
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "demos" / "bleu_weaknesses.py"


@pytest.fixture(scope="module")
def metrics() -> dict:
    return bleu_weaknesses.report(bleu_weaknesses.run()).metrics


@pytest.mark.parametrize("case", bleu_weaknesses.CASES, ids=lambda c: c.name)
def test_every_score_equals_nltk_sentence_bleu_method3(case):
    pytest.importorskip("nltk")
    assert bleu_weaknesses.score(case).bleu == pytest.approx(bleu_weaknesses.nltk_score(case), abs=1e-12)


def test_wrong_meanings_outscore_right_ones(metrics):
    assert metrics["negated"] > 2 * max(metrics["paraphrase"], metrics["paraphrase_2"])
    assert metrics["role_swap"] > max(metrics["paraphrase"], metrics["paraphrase_2"])
    assert metrics["best_wrong_minus_worst_right"] > 0.5


def test_brevity_and_the_choice_of_references_move_the_score_without_changing_the_meaning(metrics):
    assert metrics["short_and_true"] < 0.1
    assert metrics["paraphrase_two_references"] > metrics["paraphrase"] + 0.05


def test_the_case_labels_say_which_hypotheses_keep_the_meaning():
    wrong = {c.name for c in bleu_weaknesses.CASES if not c.correct}
    assert wrong == {"negated", "role swap"}
    negated = next(c for c in bleu_weaknesses.CASES if c.name == "negated").hypothesis.split()
    assert negated.count("not") == 1 and [w for w in negated if w != "not"] == bleu_weaknesses.REFERENCE.split()


def test_script_compares_with_nltk_on_request():
    pytest.importorskip("nltk")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--compare-nltk", "true"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["metrics"]["max_difference_from_nltk"] < 1e-12
