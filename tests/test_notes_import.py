"""Turning a person's notes into a deck: the seed notes give a clean deck covering every idea, each card's
words come from the lines it cites, and no input makes the importer crash or write a broken deck."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz import cloze
from gistquiz.deck import Kind, parse_deck, read_deck
from gistquiz.notes_import import MAX_NOTES_BYTES
from gistquiz.notes_import import words as words_table
from gistquiz.notes_import.importer import convert
from gistquiz.notes_import.lines import NotesError
from gistquiz.notes_import.template import file_stem
from gistquiz.notes_import.template import render as render_template

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "gist-dl-notes.txt"

# Each idea of the notes: words that must appear on the cards, in the notes' own spelling. Each tuple needs one
# card holding one of its words; an idea with several tuples needs all of them.
IDEAS = {
    "data and compute": [("Data",), ("Computational",)],
    "learning rate": [("Learning Rate",)],
    "conv kernels": [("Kernels",)],
    "regularization": [("regularization", "L1")],
    "initial layers": [("initial layers",)],
    "fine-tuning": [("FineTune",)],
    "deep NN featurization": [("Featurization",)],
    "batch normalization": [("Batch Normalization",)],
    "cross entropy": [("Cross Entropy",)],
    "weight layers": [("Kernels or FC",)],
    "data augmentation": [("augmentation",)],
    "CNN parts": [("MaxPooling",)],
    "ConvNet vs MLP part": [("ConvNet Part",), ("MLP Part",)],
    "RNN": [("Recurrent Unit",)],
    "BLEU (the notes spell it BLUE)": [("BLUE",)],
}

FRAMING_WORDS = {"why", "when", "if"}
"""The only words a card may hold that are not in its lines: 'Why X?', 'When B?', 'If A …?' questions."""

_WORD = re.compile(r"\w+")
_SECTION = re.compile(r"^## (.*)$", re.MULTILINE)
_CITED = re.compile(r"<!-- (\S+) lines? ([\d, -]+?)(?:; .*?)? -->")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}")


def seed_deck():
    result = convert(SEED.read_bytes(), SEED.name)
    return result, parse_deck(result.text, "gist-dl-notes.md")


def gq(*args: str, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "gistquiz", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=cwd or ROOT,
        timeout=120,
    )


def sections(deck_text: str) -> list[tuple[str, str]]:
    """(front, body) of each ``## `` section, read with a regex rather than the deck parser."""
    heads = list(_SECTION.finditer(deck_text))
    return [
        (m.group(1), deck_text[m.end() : heads[i + 1].start() if i + 1 < len(heads) else len(deck_text)])
        for i, m in enumerate(heads)
    ]


def cited_lines(body: str) -> list[int]:
    m = _CITED.search(body)
    assert m, body
    out = []
    for span in m.group(2).split(","):
        a, _, b = span.strip().partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


# --- the seed notes --------------------------------------------------------------------------------------


def test_seed_notes_make_a_deck_that_parses_with_no_errors():
    result, deck = seed_deck()
    assert deck.errors == []
    assert deck.title == "Gist DL"
    assert len(deck.cards) == result.n_cards >= 20
    assert {c.kind for c in deck.cards} == {Kind.BASIC, Kind.REVERSED, Kind.CLOZE}
    assert all(c.front.strip() and (c.cloze_text or c.back).strip() for c in deck.cards)


@pytest.mark.parametrize("idea", IDEAS)
def test_every_idea_of_the_seed_notes_has_a_card(idea):
    _, deck = seed_deck()
    texts = [f"{c.front}\n{cloze.plain(c.cloze_text) if c.cloze_text else c.back}" for c in deck.cards]
    for one_of in IDEAS[idea]:
        assert any(w in t for t in texts for w in one_of), (idea, one_of)


def test_every_card_uses_only_the_words_of_the_lines_it_cites():
    result, _ = seed_deck()
    notes_lines = SEED.read_text(encoding="utf-8").split("\n")
    checked = 0
    for front, body in sections(result.text):
        lines = cited_lines(body)
        source = " ".join(notes_lines[n - 1] for n in lines)
        allowed = {w.lower() for w in _WORD.findall(source)} | FRAMING_WORDS
        for old, new in words_table.REPLACEMENTS.items():
            if re.search(rf"(?<![\w{{]){re.escape(old)}(?![\w}}])", source):
                allowed |= {w.lower() for w in _WORD.findall(new)}
        text = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
        text = "\n".join(ln for ln in text.split("\n") if not re.match(r"^(tags|type|id|demo):", ln))
        text = _CLOZE.sub(lambda m: m.group(1), text)
        card_words = {w.lower() for w in _WORD.findall(f"{front} {text}")}
        assert card_words <= allowed, (front, lines, card_words - allowed)
        checked += 1
    assert checked == len(result.notes)


def test_every_card_is_tagged_with_its_heading():
    result, deck = seed_deck()
    untagged = {c.front for c in deck.cards if not c.tags}
    # Only the lines under the title (which names the deck, not a topic) have no heading of their own.
    assert untagged == {"Earlier We do not have advantage of"}
    by_front = {c.front: c for c in deck.cards}
    assert by_front["Batch Normalization"].tags == ("batch-normalization",)
    assert by_front["BLUE Score"].tags == ("blue-score",)


def test_seed_cards_take_the_kind_the_notes_suggest():
    result, deck = seed_deck()
    by_front = {}
    for c in deck.cards:
        by_front.setdefault(c.front, []).append(c)
    # "* Batch Normalization :" over one bullet is a definition that reads both ways.
    definition = "A layer in NN, to avoid Internal Covariance Problem"
    assert [(c.kind, c.back) for c in by_front["Batch Normalization"]] == [(Kind.REVERSED, definition)]
    assert [(c.kind, c.back) for c in by_front[definition]] == [(Kind.REVERSED, "Batch Normalization")]
    # "*) general CNN Convnet includes :" over five bullets is a cloze over the bullets.
    parts = by_front["general CNN Convnet includes"]
    assert [c.kind for c in parts] == [Kind.CLOZE] * 5
    assert [cloze.answers(parts[0].cloze_text, i) for i in range(1, 6)] == [
        ["ConvLayer"],
        ["MaxPooling"],
        ["Flatten"],
        ["Dese layers"],  # as the notes write it: flagged, never corrected
        ["DropOut"],
    ]
    # "A when B" asks "When B?"; "If A, B" asks "If A …?".
    assert by_front["When you FineTune Your Model?"][0].back == "Keep Small Learning Rates"
    assert any(f.startswith("If you have Similar Distb") for f in by_front)
    # A statement written twice (lines 14 and 57) is one card citing both lines.
    assert "gist-dl-notes.txt lines 14, 57;" in result.text
    assert len(by_front["regularization removes …"]) == 1


def test_the_word_table_holds_only_common_shorthand_and_no_typos_of_one_file():
    assert set(words_table.ABBREVIATIONS) == {"ie", "eg", "esp", "wrt"}
    assert not hasattr(words_table, "MISSPELLINGS")
    assert "BLUE" not in words_table.REPLACEMENTS


def test_changed_words_are_listed_in_the_card_comment():
    result, _ = seed_deck()
    assert "line 10; changed: ie -> i.e., {Eta} -> η" in result.text


def test_crlf_notes_give_the_same_deck_as_lf_notes():
    lf = SEED.read_bytes().replace(b"\r\n", b"\n")
    assert convert(lf.replace(b"\n", b"\r\n"), SEED.name).text == convert(lf, SEED.name).text
    assert convert(b"\xef\xbb\xbf" + lf, SEED.name).text == convert(lf, SEED.name).text


# --- the rules on small notes ----------------------------------------------------------------------------


def cards_of(text: str):
    result = convert(text, "n.txt")
    deck = parse_deck(result.text, "n.md") if result.text else None
    assert deck is None or deck.errors == []
    return deck.cards if deck else []


def test_why_line_becomes_a_question_and_answer():
    (card,) = cards_of("why dropout? it stops units co-adapting\n")
    assert (card.kind, card.front, card.back) == (Kind.BASIC, "Why dropout?", "it stops units co-adapting")


def test_why_line_with_bullets_under_it_takes_them_as_the_answer():
    (card,) = cards_of("- why batch norm?\n    - faster convergence\n    - higher learning rates\n")
    assert card.front == "Why batch norm?"
    assert card.back == "- faster convergence\n- higher learning rates"


def test_term_colon_definition_is_reversed_and_a_long_lead_is_basic():
    cards = cards_of("Dropout : randomly zeroes units in training\nLayers can be stacked in 2 ways : deep or wide\n")
    assert [(c.kind, c.front) for c in cards] == [
        (Kind.REVERSED, "Dropout"),
        (Kind.REVERSED, "randomly zeroes units in training"),
        (Kind.BASIC, "Layers can be stacked in 2 ways"),
    ]


def test_x_is_a_y_reads_both_ways_and_x_is_adjective_is_a_cloze():
    cards = cards_of("- ReLU is an activation function\n- The learning rate is usually small\n")
    assert [c.kind for c in cards] == [Kind.REVERSED, Kind.REVERSED, Kind.CLOZE]
    assert cards[0].front == "ReLU" and cards[0].back == "an activation function"
    # Only the term is hidden: the qualifier stays in sight.
    assert cloze.answers(cards[2].cloze_text, 1) == ["small"]


def test_arrow_statement_is_a_cloze_over_what_follows_the_arrow():
    (card,) = cards_of("Warm-up -> avoids early divergence\n")
    assert card.kind is Kind.CLOZE and cloze.answers(card.cloze_text, 1) == ["avoids early divergence"]


def test_heading_with_bullets_is_a_cloze_and_a_long_list_names_the_parts():
    few = cards_of("* Optimisers :\n  - SGD\n  - Adam\n  - RMSProp\n")
    assert [c.kind for c in few] == [Kind.CLOZE] * 3 and few[0].front == "Optimisers"
    many = cards_of("## Letters\n" + "".join(f"- item {c}\n" for c in "abcdefghij"))
    assert [c.kind for c in many] == [Kind.BASIC]
    assert many[0].back.count("\n- ") == 9


def test_continuation_lines_are_joined_into_one_statement():
    (card,) = cards_of("=> max pooling has\n   no trainable weights\n")
    assert card.cloze_text == "max pooling has {{c1::no trainable weights}}"


def test_statements_about_it_or_this_make_no_card():
    result = convert("It is very important.\nThis is the key idea\n", "n.txt")
    assert result.notes == [] and result.unused == [1, 2]


def test_a_lone_verbless_line_among_statements_with_their_own_subjects_makes_no_card():
    result = convert("ML notes\n===\n1. Overfitting: memorising the data\n2. Bias-variance tradeoff\n", "n.txt")
    assert [n.front for n in result.notes] == ["Overfitting"] and result.unused == [4]


def test_the_one_verbless_line_under_a_heading_defines_it():
    card, _ = cards_of("## Dropout\nRandomly zeroes units during training.\n")
    assert (card.kind, card.front, card.back) == (Kind.REVERSED, "Dropout", "Randomly zeroes units during training.")


def test_braces_and_deck_markup_in_notes_stay_text():
    cards = cards_of("## Notes\n- x is {{c1::y}} here\n- ## looks like a card\n- ~~~ fence\n- y is a <!-- z --> q\n")
    assert any(c.kind is Kind.BASIC and "c1::y}} here" in c.back for c in cards)
    assert not any("## " in c.front for c in cards)


# --- shapes from unseen notes (issue 16 point 6, issue 25) ------------------------------------------------

NOTES = Path(__file__).parent / "data" / "notes"


def unseen(name: str):
    result = convert((NOTES / name).read_bytes(), name)
    deck = parse_deck(result.text, "x.md")
    assert deck.errors == []
    return result, deck


def note_of_line(result, line: int):
    """The notes made from a source line (by the line list in their comment)."""
    return [n for n in result.notes if line in cited_lines(f"<!-- {n.comment} -->")]


def test_an_indented_arrow_note_is_a_card_of_its_own_not_the_answer_above():
    result, _ = unseen("boosting-kmeans.txt")
    (residual,) = note_of_line(result, 6)
    assert (residual.front, residual.back) == ("residual", "negative gradient of the squared loss")
    assert all("residual =" not in n.back for n in note_of_line(result, 5))


def test_a_why_line_after_a_bullet_is_its_own_card():
    result, _ = unseen("boosting-kmeans.txt")
    (why,) = note_of_line(result, 8)
    assert (why.front, why.back) == ("Why shrinkage?", "smaller steps need more trees but generalise better")
    assert all("why shrinkage" not in n.back.lower() for n in note_of_line(result, 7))


@pytest.mark.parametrize(
    ("name", "lines"),
    [("boosting-kmeans.txt", [10, 21]), ("trees-and-ensembles.txt", [15, 22]), ("unsupervised-pca.txt", [20])],
)
def test_todo_fixme_and_questions_to_self_are_skipped_with_a_note(name, lines):
    result, _ = unseen(name)
    assert result.to_self == lines
    assert all(not note_of_line(result, n) for n in lines)
    assert "Skipped as notes to yourself" in result.text and not set(lines) & set(result.unused)


def test_each_k_means_fact_is_its_own_card_hiding_one_term():
    result, _ = unseen("boosting-kmeans.txt")
    hidden = {}
    for line in range(14, 19):
        (note,) = note_of_line(result, line)
        assert set(cited_lines(f"<!-- {note.comment} -->")) <= {13, line}  # the heading and its own line only
        hidden[line] = _CLOZE.findall(note.back)
    assert hidden == {
        14: ["within-cluster sum of squares"],
        15: ["nearest centroid"],
        16: ["mean of its points"],
        17: ["local minimum"],
        18: ["k-means++"],
    }


def test_a_long_statement_becomes_a_cloze_over_its_number():
    result, _ = unseen("boosting-kmeans.txt")
    (note,) = note_of_line(result, 11)
    assert _CLOZE.findall(note.back) == ["3 to 8"] and note.front == "Gradient Boosting"


@pytest.mark.parametrize(
    "name", ["boosting-kmeans.txt", "trees-and-ensembles.txt", "unsupervised-pca.txt", "nlp-basics.txt"]
)
def test_clozes_hide_a_term_not_a_predicate(name):
    result, _ = unseen(name)
    hidden = [h for n in result.notes for h in _CLOZE.findall(n.back)]
    assert hidden
    long = [h for h in hidden if len(h.split()) > 4 and not re.search(r"[_^=]|^-", h)]
    assert long == []


def test_two_pairs_on_one_line_make_two_cards():
    result, _ = unseen("trees-and-ensembles.txt")
    assert [(n.front, n.back) for n in note_of_line(result, 18)] == [
        ("high bias", "underfit"),
        ("high variance", "overfit"),
    ]


def test_a_hyphenated_name_is_not_split_at_a_verb_inside_it():
    result, _ = unseen("boosting-kmeans.txt")
    assert not any("k- means" in n.front or "k- means" in n.back for n in result.notes)


def test_a_heading_block_ends_at_an_unbulleted_line_at_its_indent():
    cards = cards_of(
        "* Trees :\n  - Gini impurity is a split criterion\n\nAdam uses running averages of the gradient\n"
    )
    by_front = {c.front: c for c in cards}
    assert by_front["Gini impurity"].tags == ("trees",)
    assert all(c.tags == () for c in cards if "Adam" in c.front + c.cloze_text)


def test_a_short_first_line_names_the_deck_and_makes_no_card():
    result, _ = unseen("unsupervised-pca.txt")
    assert result.title == "PCA & friends -- lecture 9 notes"
    assert not note_of_line(result, 1)


# --- misspellings and the bundled deck ---------------------------------------------------------------------

PLANTED_TYPOS = {"softmx", "regularizaton", "dropuot", "prunning"}
_CORRECT_TERMS = (
    "ReLU softmax BLEU ROUGE perplexity word2vec t-SNE XGBoost LightGBM DBSCAN k-means centroid GELU tanh Adam "
    "RMSProp AdaGrad sigmoid logits embeddings tokenization dropout backprop minibatch hyperparameter "
    "regularisation normalisation initialisation centre colour optimiser LeNet AlexNet ResNet GRU LSTM seq2seq "
    "BERT GPT Transformer autoencoder VAE GAN softplus Leaky ELU SELU Swish Mish skip-gram CBOW GloVe fastText "
    "TF-IDF n-gram BPE WordPiece SentencePiece kNN SVM PCA LDA t-test p-value AUC ROC F1 recall precision "
    "specificity Gini entropy bagging boosting stacking CatBoost Nesterov momentum Xavier Kaiming Glorot ImageNet "
    "MNIST CIFAR COCO covariance"
)
CORRECT_TERMS = _CORRECT_TERMS.split()


def test_correct_technical_terms_are_never_flagged():
    from gistquiz.notes_import import spelling

    assert spelling.suspects(" ".join(CORRECT_TERMS), spelling.vocabulary("")) == []


def test_misspelt_terms_are_flagged_and_correct_words_of_the_notes_are_not():
    from gistquiz.notes_import import spelling

    flagged = set()
    for path in [SEED, *sorted(NOTES.glob("*.txt"))]:
        text = path.read_text(encoding="utf-8")
        flagged |= {s.word for s in spelling.suspects(text, spelling.vocabulary(text))}
    # Typos of ordinary English words are missed (no dictionary): measured, not hidden.
    assert flagged == PLANTED_TYPOS | {"BLUE", "Dese", "layeer", "MaxPoolinngg"}


def test_a_flagged_word_stays_as_written_and_is_named_in_the_comment():
    result, deck = seed_deck()
    (blue,) = [n for n in result.notes if n.front == "BLUE Score"]
    assert "check spelling: BLUE (BLEU?)" in blue.comment
    assert any(c.front == "BLUE Score" for c in deck.cards)
    result, _ = unseen("nlp-basics.txt")
    (attention,) = note_of_line(result, 14)
    assert "softmx" in attention.back and "check spelling: softmx (softmax?)" in attention.comment


def test_a_statement_a_misconception_card_names_is_flagged_and_links_the_demo():
    result, _ = seed_deck()
    (removes,) = [n for n in result.notes if n.front == "regularization removes …"]
    assert "may repeat a common mistake" in removes.comment and "reg-misconception-removes-all" in removes.comment
    assert removes.demo == "regularization"
    (ce,) = [n for n in result.notes if n.front == "Cross Entropy"]
    assert "ce-misconception-deep-only" in ce.comment and ce.demo == "cross_entropy"
    flagged = [n.front for n in result.notes if "may repeat a common mistake" in n.comment]
    assert len(flagged) == 2, flagged


@pytest.mark.parametrize(
    "name", ["boosting-kmeans.txt", "trees-and-ensembles.txt", "unsupervised-pca.txt", "nlp-basics.txt"]
)
def test_unseen_notes_on_other_topics_raise_no_misconception_flag(name):
    result, _ = unseen(name)
    assert not any("may repeat a common mistake" in n.comment for n in result.notes)


def test_a_statement_on_a_bundled_topic_names_the_nearest_bundled_card():
    result, _ = unseen("nlp-basics.txt")
    (bleu,) = note_of_line(result, 20)
    assert "nearest bundled card:" in bleu.comment and "(bleu-name)" in bleu.comment


# --- bad inputs, through the command line ----------------------------------------------------------------


def assert_one_line_error(out: subprocess.CompletedProcess, *words: str) -> None:
    assert out.returncode == 2, out
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gistquiz: "), out.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_import_notes_writes_a_deck_that_gistquiz_check_accepts(tmp_path):
    deck = tmp_path / "mine.md"
    out = gq("import-notes", str(SEED), "-o", str(deck))
    assert out.returncode == 0, out.stderr
    assert "heuristic" in out.stdout and "offline" in out.stdout
    assert f"wrote {deck}" in out.stdout
    check = gq("check", str(deck))
    assert check.returncode == 0, check.stdout
    assert check.stdout.strip().endswith("0 problems")
    assert read_deck(deck).cards


BAD_INPUTS = {
    "empty": (b"", ["empty"]),
    "blank lines only": (b"\n \n\t\n", ["empty"]),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", ["binary"]),
    "nul byte": (b"notes\x00more notes\n", ["binary"]),
    "invalid utf-8": (b"Dropout is a method\ncaf\xe9 is a drink\n", ["notes.txt:2:", "UTF-8"]),
    "one line with no statement": (b"hello", ["nothing to make cards from", "1 line"]),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_unusable_notes_give_one_line_error_and_write_nothing(tmp_path, case):
    data, words = BAD_INPUTS[case]
    (tmp_path / "notes.txt").write_bytes(data)
    out = gq("import-notes", "notes.txt", "-o", "deck.md", cwd=tmp_path)
    assert_one_line_error(out, *words)
    assert not (tmp_path / "deck.md").exists()


def test_huge_notes_are_refused_before_reading(tmp_path):
    notes = tmp_path / "huge.txt"
    with notes.open("wb") as f:
        f.truncate(20 * 2**20)
    out = gq("import-notes", str(notes), "-o", str(tmp_path / "deck.md"))
    assert_one_line_error(out, "too large", "1 MiB")
    with pytest.raises(NotesError, match="too large"):
        convert(b"a\n" * (MAX_NOTES_BYTES // 2 + 1), "big.txt")


def test_one_line_statement_makes_a_one_card_deck(tmp_path):
    (tmp_path / "one.txt").write_text("Dropout is a regularization method")
    out = gq("import-notes", "one.txt", "-o", "one.md", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    deck = read_deck(tmp_path / "one.md")
    assert deck.errors == [] and [c.front for c in deck.cards] == ["Dropout", "a regularization method"]


def test_crlf_notes_import_through_the_command_line(tmp_path):
    (tmp_path / "crlf.txt").write_bytes(SEED.read_bytes().replace(b"\n", b"\r\n"))
    out = gq("import-notes", "crlf.txt", "-o", "crlf.md", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert len(read_deck(tmp_path / "crlf.md").cards) == seed_deck()[0].n_cards


def test_existing_deck_is_kept_without_force_and_the_notes_are_never_overwritten(tmp_path):
    (tmp_path / "deck.md").write_text("# mine\n")
    assert_one_line_error(gq("import-notes", str(SEED), "-o", "deck.md", cwd=tmp_path), "--force")
    assert (tmp_path / "deck.md").read_text() == "# mine\n"
    assert gq("import-notes", str(SEED), "-o", "deck.md", "--force", cwd=tmp_path).returncode == 0
    (tmp_path / "notes.md").write_bytes(SEED.read_bytes())
    assert_one_line_error(gq("import-notes", "notes.md", "-o", "notes.md", "--force", cwd=tmp_path), "notes file")
    assert (tmp_path / "notes.md").read_bytes() == SEED.read_bytes()


def test_missing_notes_and_bad_output_names_are_one_line_errors(tmp_path):
    assert_one_line_error(gq("import-notes", "nope.txt", "-o", "d.md", cwd=tmp_path), "no such file")
    assert_one_line_error(gq("import-notes", str(SEED), "-o", "d.txt", cwd=tmp_path), ".md")
    assert_one_line_error(gq("import-notes", str(SEED), "-o", "no/such/d.md", cwd=tmp_path), "no such folder")
    bundled = next((ROOT / "decks").glob("*.md")).name
    assert_one_line_error(gq("import-notes", str(SEED), "-o", bundled, cwd=tmp_path), "bundled deck")


# --- new-deck --------------------------------------------------------------------------------------------


def test_new_deck_writes_a_template_that_passes_check(gistquiz_home):
    out = gq("new-deck", "Linear Algebra!")
    assert out.returncode == 0, out.stderr
    path = gistquiz_home / "decks" / "linear-algebra.md"
    assert str(path) in out.stdout and "gistquiz check" in out.stdout
    deck = read_deck(path)
    assert deck.errors == [] and deck.title == "Linear Algebra!"
    assert {c.kind for c in deck.cards} == {Kind.BASIC, Kind.REVERSED, Kind.TYPED, Kind.CLOZE, Kind.CHOICE}
    check = gq("check", str(path))
    assert check.returncode == 0, check.stdout


def test_new_deck_refuses_to_overwrite_without_force(gistquiz_home):
    assert gq("new-deck", "algebra").returncode == 0
    path = gistquiz_home / "decks" / "algebra.md"
    path.write_text("# my edits\n\n## q\n\na\n")
    assert_one_line_error(gq("new-deck", "algebra"), "--force")
    assert path.read_text() == "# my edits\n\n## q\n\na\n"
    assert gq("new-deck", "algebra", "--force").returncode == 0
    assert "## The parts of a CNN" in path.read_text()


def test_new_deck_needs_a_name_with_letters_and_not_a_bundled_one():
    assert_one_line_error(gq("new-deck", "!!!"), "letters")
    bundled = next((ROOT / "decks").glob("*.md")).stem
    assert_one_line_error(gq("new-deck", bundled), "bundled")


def test_template_file_names_are_slugs():
    assert file_stem("Linear Algebra!") == "linear-algebra"
    assert file_stem("../etc/passwd.md") == "etc-passwd"
    assert file_stem("Ökonomie 101") == "ökonomie-101"
    assert parse_deck(render_template("T {{c1::x}}\n## y"), "t.md").errors == []


# --- any text at all -------------------------------------------------------------------------------------

NOTES_PIECES = [
    "- ", "* ", "*) ", "-> ", "=> ", "# ", "## ", "[", "]", "(", ")", "{{c1::", "}}", "::", ":", ":-", " : ", "?",
    "why ", "If ", ", ", " when ", "To ", " is ", " are ", " a ", "the ", "X", "Y", "it", "\n", "\n", "   ", "\t",
    "---", "```", "|", "<!--", "-->", "- [x] ", "ie ", "esp", "{Eta}", "η", ".", "\\", "&", " - ", "1. ", "~~~",
    " has ", " can be ", "\r\n", "\r", "\ufeff", "\u2028", "\x0b", "\x85", "`", "Dropout",
]  # fmt: skip
notes_text = st.one_of(
    st.lists(st.sampled_from(NOTES_PIECES), max_size=60).map("".join),
    st.text(max_size=200),
)


@settings(max_examples=300, deadline=None)
@given(notes_text)
def test_any_text_gives_a_deck_that_parses_or_no_deck(text):
    try:
        result = convert(text.encode("utf-8"), "fuzz.txt")
    except NotesError as err:  # a NUL character: binary
        assert "\x00" in text and "binary" in str(err)
        return
    if not result.notes:
        assert result.text == ""
        return
    deck = parse_deck(result.text, "fuzz.md")
    assert deck.errors == []
    assert len(deck.cards) == result.n_cards
    for c in deck.cards:
        assert re.search(r"[^\W_]", c.front) and re.search(r"[^\W_]", c.cloze_text or c.back)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_deck_or_a_notes_error(data):
    try:
        result = convert(data, "fuzz.bin")
    except NotesError as err:
        assert "\n" not in str(err)
        return
    assert result.text == "" or parse_deck(result.text, "fuzz.md").errors == []
