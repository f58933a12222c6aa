"""BLEU (demos/bleu.py) against nltk and sacrebleu: random corpora, published values, edge cases."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import bleu
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate import bleu_score as nltk_bleu

sacrebleu = pytest.importorskip("sacrebleu")

DEMO = Path(__file__).resolve().parents[1] / "demos" / "bleu.py"
NLTK_SMOOTHING = {  # our name -> nltk's smoothing function
    "none": None,
    "floor": nltk_bleu.SmoothingFunction().method1,
    "add-k": nltk_bleu.SmoothingFunction().method2,
    "exp": nltk_bleu.SmoothingFunction().method3,
}
SMOOTHINGS = st.sampled_from(bleu.SMOOTHINGS)


def toks(text: str) -> list[str]:
    return text.split()


def same_score(ours: float, theirs: float) -> bool:
    """Equal to 12 significant digits; an exact zero must be matched by an exact zero."""
    if ours == 0 or theirs == 0:
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-12)


def nltk_corpus_bleu(list_of_references, hypotheses, smoothing, weights=(0.25, 0.25, 0.25, 0.25)) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns on every zero-match order
        return nltk_bleu.corpus_bleu(
            list_of_references, hypotheses, weights, smoothing_function=NLTK_SMOOTHING[smoothing]
        )


def sacrebleu_corpus_score(list_of_references, hypotheses, smoothing: str):
    """sacrebleu on the same tokens: hypotheses as lines, references transposed into streams (None pads)."""
    streams = [
        [" ".join(refs[k]) if k < len(refs) else None for refs in list_of_references]
        for k in range(max(map(len, list_of_references)))
    ]
    metric = sacrebleu.BLEU(tokenize="none", smooth_method=smoothing)
    return metric.corpus_score([" ".join(h) for h in hypotheses], streams)


# Small vocabularies make many matches, repeated words (clipping), and ties in reference length;
# lengths 0..8 include empty hypotheses and ones shorter than n.
@st.composite
def corpora(draw, max_sentences: int = 6, max_refs: int = 4):
    words = [f"w{i}" for i in range(draw(st.integers(1, 6)))]
    sentence = st.lists(st.sampled_from(words), max_size=8)
    n = draw(st.integers(1, max_sentences))
    hypotheses = draw(st.lists(sentence, min_size=n, max_size=n))
    list_of_references = draw(st.lists(st.lists(sentence, min_size=1, max_size=max_refs), min_size=n, max_size=n))
    return list_of_references, hypotheses


# --------------------------------------------------------------------------- random corpora


@settings(max_examples=300, deadline=None)
@given(corpora(), SMOOTHINGS)
def test_corpus_bleu_equals_nltk_corpus_bleu(corpus, smoothing):
    list_of_references, hypotheses = corpus
    ours = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing, flavor="nltk")
    assert same_score(ours.score, nltk_corpus_bleu(list_of_references, hypotheses, smoothing))


@settings(max_examples=150, deadline=None)
@given(corpora(max_sentences=3, max_refs=12), SMOOTHINGS)
def test_corpus_bleu_with_many_references_equals_nltk(corpus, smoothing):
    """Many references: past about 6 the packed role counts need more than 63 bits and the counter switches."""
    list_of_references, hypotheses = corpus
    ours = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing, flavor="nltk")
    assert same_score(ours.score, nltk_corpus_bleu(list_of_references, hypotheses, smoothing))


@settings(max_examples=300, deadline=None)
@given(corpora(), SMOOTHINGS)
def test_corpus_bleu_equals_sacrebleu_corpus_score(corpus, smoothing):
    list_of_references, hypotheses = corpus
    ours = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing, flavor="sacrebleu")
    theirs = sacrebleu_corpus_score(list_of_references, hypotheses, smoothing)
    assert same_score(ours.score, theirs.score / 100)
    assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    assert ours.brevity_penalty == theirs.bp
    assert all(same_score(p, q / 100) for p, q in zip(ours.precisions, theirs.precisions, strict=True))


# Raw lines as sacrebleu reads them: words of 1-12 bytes (the 8-byte key and the long-word dict),
# non-ASCII letters, control bytes that str.split keeps in a word (an ANSI colour code), runs of ASCII
# whitespace, empty lines, missing references (None), and now and then a NUL or a non-ASCII space,
# which take the slow path.
WORDS = st.sampled_from(
    [
        "a",
        "bb",
        "the",
        "été",
        "日本",
        "12345678",
        "123456789",
        "longer_word!",
        "w\u00e9\u00e9\u00e9x",
        "\x1b[0m",
        "a\x01b",
    ]
)
GAPS = st.sampled_from([" ", "  ", "\t", " \n ", "\x1f", "\u3000", "\x00", "\u00a0"])


@st.composite
def text_corpora(draw, max_sentences: int = 6, max_refs: int = 3):
    def line() -> str:
        words = draw(st.lists(WORDS, max_size=8))
        gaps = [draw(GAPS) if draw(st.integers(0, 9)) == 0 else " " for _ in words]
        return "".join(g + w for g, w in zip(gaps, words, strict=True)) + draw(st.sampled_from(["", " ", "\n"]))

    n = draw(st.integers(1, max_sentences))
    hypotheses = [line() for _ in range(n)]
    streams = [[line() for _ in range(n)] for _ in range(draw(st.integers(1, max_refs)))]
    for i in range(n):  # the first stream keeps a reference for every line
        for stream in streams[1:]:
            if draw(st.integers(0, 4)) == 0:
                stream[i] = None
    return hypotheses, streams


@settings(max_examples=300, deadline=None)
@given(text_corpora(), SMOOTHINGS)
def test_corpus_bleu_text_equals_sacrebleu_on_the_same_raw_lines(corpus, smoothing):
    hypotheses, streams = corpus
    ours = bleu.corpus_bleu_text(hypotheses, streams, smoothing=smoothing)
    theirs = sacrebleu.BLEU(tokenize="none", smooth_method=smoothing).corpus_score(hypotheses, streams)
    assert same_score(ours.score, theirs.score / 100)
    assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    if smoothing != "add-k":  # sacrebleu's counts then include the +1
        assert ours.matches == theirs.counts and ours.totals == theirs.totals


def test_split_bytes_cuts_words_as_str_split_does():
    segments = ["  a\tbb  été\n", "", "x", "日本 123456789 12345678 123456789", " ", "\x1c\x1dq\x1e\x1f"]
    word, seg_len = bleu.split_bytes(segments)
    assert seg_len.tolist() == [len(s.split()) for s in segments]
    words = [w for s in segments for w in s.split()]
    same = [[a == b for b in words] for a in words]
    assert [[x == y for y in word] for x in word] == same  # one key per distinct word
    assert bleu.split_bytes(["a\x00b", "c"]) is None and bleu.split_bytes(["a\u2003b"]) is None


def test_every_non_ascii_character_str_split_splits_on_is_in_the_fast_path_s_list():
    spaces = [chr(c) for c in range(128, 0x110000) if chr(c).isspace()]
    assert all(bleu.UNICODE_SPACE.fullmatch(c) for c in spaces)
    assert [chr(c) for c in range(128) if chr(c).isspace() or c == 0] == [
        chr(c) for c in np.flatnonzero(bleu.SPLIT_BYTES)
    ]


@settings(max_examples=200, deadline=None)
@given(corpora(max_sentences=40), st.integers(1, 6))
def test_one_sort_counts_equal_one_sort_per_order(corpus, max_n):
    list_of_references, hypotheses = corpus
    seg = bleu.encode_tokens(list_of_references, hypotheses)
    block = bleu.count_block(seg.word, seg.seg_len, seg.n_refs, max_n, np.zeros(seg.vocab_size, bool))
    tok, S, V_b, n_roles = block_tokens(seg)
    chained = bleu.matches_chained(tok, S, V_b, n_roles, max_n)
    assert block.matches.tolist() == chained.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=300)
    | st.lists(st.integers(0, 40), max_size=300)
    | st.lists(st.sampled_from([0, 1 << 48, 2 << 48, 3 << 48, -(1 << 62), 2**63 - 1]), max_size=300),
)
def test_number_keys_numbers_the_distinct_keys_as_np_unique_does(keys):
    word = np.array(keys, np.int64)
    local, V = bleu.number_keys(word)
    _, inverse = np.unique(word, return_inverse=True)
    assert len(set(keys)) == V and sorted(set(local.tolist())) == list(range(1, V + 1))
    assert len(set(zip(local.tolist(), inverse.tolist(), strict=True))) == V  # the same partition


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**40), max_size=12), min_size=1, max_size=20), st.integers(1, 17))
def test_sort_by_sentence_is_np_sort(rows, shift):
    """Keys whose top bits are their sentence, in sentence order; one long sentence takes the one sort."""
    sentence = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    low = np.array([v for r in rows for v in r], np.int64)
    key = (sentence.astype(np.int64) << 41 + shift) | low
    assert bleu.sort_by_sentence(key, sentence, len(rows)).tolist() == np.sort(key).tolist()
    top = np.full(5, np.iinfo(np.int64).max)  # keys equal to the padding value sort as they should
    assert bleu.sort_by_sentence(top, np.zeros(5, np.int64), 1).tolist() == top.tolist()


def test_number_keys_resolves_many_collisions_in_rounds():
    # 200,000 distinct keys into tables of 2^19 slots: tens of thousands collide in the first round.
    word = np.random.default_rng(0).permutation(np.arange(200_000, dtype=np.int64) << 20)
    local, V = bleu.number_keys(np.concatenate((word, word[::-1])))
    assert V == 200_000 and (local[:200_000] == local[200_000:][::-1]).all()
    assert sorted(local[:200_000].tolist()) == list(range(1, V + 1))


def block_tokens(seg):
    """The per-token arrays ``count_block`` builds, for calling both counters directly."""
    S = len(seg.n_refs)
    seg_sentence = np.repeat(np.arange(S), seg.n_refs + 1)
    hyp_seg = np.cumsum(seg.n_refs + 1) - (seg.n_refs + 1)
    seg_role = np.arange(len(seg.seg_len)) - hyp_seg[seg_sentence]
    tok_seg = np.repeat(np.arange(len(seg.seg_len)), seg.seg_len)
    room = np.cumsum(seg.seg_len)[tok_seg] - np.arange(len(seg.word))
    tok = bleu.BlockTokens(seg.word + 1, seg_sentence[tok_seg], seg_role[tok_seg], room)
    return tok, S, seg.vocab_size, int(seg.n_refs.max()) + 1


@settings(max_examples=200, deadline=None)
@given(corpora(max_sentences=1), SMOOTHINGS)
def test_sentence_bleu_equals_nltk_sentence_bleu(corpus, smoothing):
    (references,), (hypothesis,) = corpus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nltk_bleu.sentence_bleu(references, hypothesis, smoothing_function=NLTK_SMOOTHING[smoothing])
    assert same_score(bleu.sentence_bleu(references, hypothesis, smoothing=smoothing).score, theirs)


@settings(max_examples=200, deadline=None)
@given(corpora(max_sentences=1), SMOOTHINGS)
def test_sacrebleu_flavor_sentence_bleu_equals_sacrebleu_sentence_bleu_with_effective_order(corpus, smoothing):
    (references,), (hypothesis,) = corpus
    theirs = sacrebleu.sentence_bleu(
        " ".join(hypothesis), [" ".join(r) for r in references], smooth_method=smoothing, tokenize="none"
    )  # use_effective_order=True is sacrebleu's default for a sentence
    ours = bleu.sentence_bleu(references, hypothesis, smoothing=smoothing, flavor="sacrebleu")
    assert same_score(ours.score, theirs.score / 100)


@settings(max_examples=100, deadline=None)
@given(corpora(), st.sampled_from(["floor", "add-k", "exp"]))
def test_smoothed_flavors_agree_when_every_hypothesis_has_four_words(corpus, smoothing):
    list_of_references, hypotheses = corpus
    hypotheses = [h + ["w0"] * (4 - len(h)) for h in hypotheses]  # pad to at least 4 words
    nltk_flavor = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing, flavor="nltk")
    sacre_flavor = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing, flavor="sacrebleu")
    assert same_score(nltk_flavor.score, sacre_flavor.score)


@settings(max_examples=100, deadline=None)
@given(corpora())
def test_counts_per_sentence_equal_nltk_modified_precision_and_closest_ref_length(corpus):
    list_of_references, hypotheses = corpus
    counts = bleu.count_ngrams(list_of_references, hypotheses, max_n=4)
    for i, (refs, hyp) in enumerate(zip(list_of_references, hypotheses, strict=True)):
        assert counts.ref_len[i] == nltk_bleu.closest_ref_length(refs, len(hyp))
        for n in range(1, 5):
            p_n = nltk_bleu.modified_precision(refs, hyp, n)
            assert counts.matches[i, n - 1] == p_n.numerator
            assert max(1, counts.totals[i, n - 1]) == p_n.denominator


def test_counts_survive_renumbering_when_long_ngrams_overflow_int64():
    # 14-grams over a 30-word vocabulary need codes up to 30**14 > 2**63: the counter must renumber.
    words = [f"w{i}" for i in range(30)]
    references = [[[words[(7 * i + j * j) % 30] for j in range(60)]] for i in range(40)]
    hypotheses = [refs[0][:30] + refs[0][31:] for refs in references]  # drop one word: long n-grams survive
    assert len(words) ** 14 > 2**63
    weights = (1 / 14,) * 14
    ours = bleu.corpus_bleu(references, hypotheses, weights=weights)
    assert same_score(ours.score, nltk_corpus_bleu(references, hypotheses, "none", weights))
    counts = bleu.count_ngrams(references, hypotheses, max_n=14)
    assert counts.matches[0].tolist() == [
        nltk_bleu.modified_precision(references[0], hypotheses[0], n).numerator for n in range(1, 15)
    ]


def test_corpora_larger_than_one_block_give_the_same_counts_as_per_sentence_scoring():
    list_of_references = [
        [[f"w{(i * j) % 11}" for j in range(i % 9)], [f"w{j % 5}" for j in range(6)]] for i in range(1203)
    ]
    hypotheses = [[f"w{(i + j) % 7}" for j in range(i % 8)] for i in range(1203)]
    assert len(hypotheses) > 2 * bleu.BLOCK
    counts = bleu.count_ngrams(list_of_references, hypotheses)
    for i in range(0, 1203, 97):
        one = bleu.count_ngrams(list_of_references[i : i + 1], hypotheses[i : i + 1])
        assert counts.matches[i].tolist() == one.matches[0].tolist()
    for smoothing in bleu.SMOOTHINGS:
        ours = bleu.corpus_bleu(list_of_references, hypotheses, smoothing=smoothing)
        assert same_score(ours.score, nltk_corpus_bleu(list_of_references, hypotheses, smoothing))


# --------------------------------------------------------------------------- published values

HYP1 = toks("It is a guide to action which ensures that the military always obeys the commands of the party")
REF1A = toks("It is a guide to action that ensures that the military will forever heed Party commands")
REF1B = toks(
    "It is the guiding principle which guarantees the military forces always being under the command of the Party"
)
REF1C = toks("It is the practical guide for the army always to heed the directions of the party")
HYP2 = toks("he read the book because he was interested in world history")
REF2A = toks("he was interested in world history because he read the book")


def test_nltk_docstring_corpus_scores_0_5920778868801042():
    list_of_references, hypotheses = [[REF1A, REF1B, REF1C], [REF2A]], [HYP1, HYP2]
    assert same_score(bleu.corpus_bleu(list_of_references, hypotheses).score, 0.5920778868801042)
    sacre = bleu.corpus_bleu(list_of_references, hypotheses, flavor="sacrebleu").score
    assert math.isclose(sacre, 0.5920778868801042, rel_tol=1e-12)


def test_short_hypothesis_corpus_scores_0_88_in_nltk_but_1_in_sacrebleu():
    hypotheses = [toks("the cat sat on the mat"), ["hello", "there"]]
    list_of_references = [[h] for h in hypotheses]
    ours_nltk = bleu.corpus_bleu(list_of_references, hypotheses, flavor="nltk")
    assert same_score(ours_nltk.score, 0.8801117367933934)
    assert ours_nltk.totals[2:] == [4 + 1, 3 + 1]  # "hello there" adds a 1 to the 3- and 4-gram denominators
    assert bleu.corpus_bleu(list_of_references, hypotheses, flavor="sacrebleu").score == pytest.approx(1.0, rel=1e-12)


def test_empty_hypothesis_corpus_of_sltev_issue_4_scores_41_44_vs_45_43():
    # ELITR/SLTev#4: one empty hypothesis; nltk 41.441088962133435, sacrebleu 45.43142611141303
    hypotheses = [toks("It is a guide to action which ensures that the military always"), []]
    references = [
        toks("It is a guide to action that ensures that the military will"),
        toks("forever heed Party commands"),
    ]
    list_of_references = [[r] for r in references]
    assert same_score(100 * bleu.corpus_bleu(list_of_references, hypotheses).score, 41.441088962133435)
    sacre = 100 * bleu.corpus_bleu(list_of_references, hypotheses, smoothing="exp", flavor="sacrebleu").score
    assert same_score(sacre, 45.43142611141303)


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("flavor", bleu.FLAVORS)
@pytest.mark.parametrize("smoothing", bleu.SMOOTHINGS)
def test_all_empty_hypotheses_score_exactly_zero(flavor, smoothing):
    result = bleu.corpus_bleu([[["a", "b"]], [["c"]]], [[], []], smoothing=smoothing, flavor=flavor)
    assert result.score == 0.0
    assert result.brevity_penalty == 0.0
    assert nltk_corpus_bleu([[["a", "b"]], [["c"]]], [[], []], smoothing) == 0


@pytest.mark.parametrize("flavor", bleu.FLAVORS)
def test_no_word_in_common_scores_zero_even_with_smoothing(flavor):
    references, hypothesis = [["a", "b", "c", "d"]], ["x", "y", "z", "w"]
    assert bleu.sentence_bleu(references, hypothesis, smoothing="exp", flavor=flavor).score == 0.0
    assert nltk_bleu.sentence_bleu(references, hypothesis, smoothing_function=NLTK_SMOOTHING["exp"]) == 0


def test_one_zero_order_is_1e_77_in_nltk_and_exactly_zero_in_sacrebleu():
    references, hypothesis = [["a", "b", "c", "d", "e"]], ["a", "b", "c", "x", "d", "e"]  # no 4-gram matches
    ours = bleu.sentence_bleu(references, hypothesis, flavor="nltk")
    assert ours.precisions[3] == sys.float_info.min
    assert 0 < ours.score < 1e-70
    assert same_score(ours.score, nltk_corpus_bleu([references], [hypothesis], "none"))
    assert bleu.corpus_bleu([references], [hypothesis], flavor="sacrebleu").score == 0.0


@pytest.mark.parametrize("flavor", bleu.FLAVORS)
def test_hypothesis_shorter_than_n(flavor):
    references, hypothesis = [["a", "b", "c"]], ["a", "b"]
    for smoothing in bleu.SMOOTHINGS:
        ours = bleu.corpus_bleu([references], [hypothesis], smoothing=smoothing, flavor=flavor).score
        if flavor == "nltk":
            assert same_score(ours, nltk_corpus_bleu([references], [hypothesis], smoothing))
        else:
            theirs = sacrebleu_corpus_score([references], [hypothesis], smoothing).score / 100
            assert same_score(ours, theirs)


def test_tie_in_reference_length_takes_the_shorter_reference():
    references, hypothesis = [list("abcdef"), list("abcd")], list("abcde")  # lengths 6 and 4, hypothesis 5
    result = bleu.sentence_bleu(references, hypothesis)
    assert result.ref_len == 4 == nltk_bleu.closest_ref_length(references, 5)
    assert result.brevity_penalty == 1.0  # the longer one would have given exp(1 - 6/5)


def test_clipping_credits_a_word_at_most_as_often_as_one_reference_has_it():
    references = [toks("the cat is on the mat"), toks("there is a cat on the mat")]
    result = bleu.sentence_bleu(references, ["the"] * 7)
    assert (result.matches[0], result.totals[0]) == (2, 7)  # nltk's docstring: 0.2857...
    assert float(nltk_bleu.modified_precision(references, ["the"] * 7, 1)) == 2 / 7


# --------------------------------------------------------------------------- input validation


def test_mismatched_corpus_lengths_raise_a_clear_value_error():
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference lists"):
        bleu.corpus_bleu([[["a"]]], [["a"], ["b"]])


@pytest.mark.parametrize(
    ("list_of_references", "hypotheses", "error", "match"),
    [
        ([], [], ValueError, "empty"),
        ([[]], [["a"]], ValueError, "hypothesis 0 has no reference"),
        ([[["a"]]], ["a b"], TypeError, "hypothesis 0 is a string"),
        ([["a", "b"]], [["a"]], TypeError, r"list_of_references\[0\] must be a list of token lists"),
    ],
)
def test_malformed_corpora_are_refused(list_of_references, hypotheses, error, match):
    with pytest.raises(error, match=match):
        bleu.corpus_bleu(list_of_references, hypotheses)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"smoothing": "method1"}, "smoothing must be one of"),
        ({"flavor": "moses"}, "flavor must be one of"),
        ({"weights": ()}, "one entry per n-gram order"),
        ({"weights": (0.1, 0.3, 0.5, 0.1), "flavor": "sacrebleu"}, "equally"),
    ],
)
def test_bad_options_are_refused(options, match):
    with pytest.raises(ValueError, match=match):
        bleu.sentence_bleu([["a"]], ["a"], **options)


# --------------------------------------------------------------------------- the demo


def test_demo_scores_equal_nltk_sentence_bleu_and_show_clipping_and_brevity():
    result = bleu.run()
    rep = bleu.report(result)
    for name, tokens in result.candidates.items():
        theirs = nltk_bleu.sentence_bleu(bleu.REFERENCES, tokens, smoothing_function=NLTK_SMOOTHING["exp"])
        assert same_score(rep.metrics[f"score_{name}"], theirs)
    assert rep.metrics["score_exact"] == 1.0
    assert rep.metrics["brevity_penalty_too_short"] == pytest.approx(math.exp(1 - 10 / 4))
    assert rep.metrics["clipped_unigram_precision_repeated_the"] == pytest.approx(3 / 7)
    assert rep.metrics["unclipped_unigram_precision_repeated_the"] == 1.0
    assert rep.metrics["unigram_precision_word_salad"] == 1.0
    assert sorted(result.candidates["word_salad"]) == sorted(bleu.REFERENCES[0])
    assert rep.metrics["score_word_salad"] < rep.metrics["score_paraphrase"] < rep.metrics["score_exact"]


def test_demo_corpus_score_equals_sacrebleu_in_sacrebleu_flavor():
    result = bleu.run(flavor="sacrebleu", smoothing="floor", max_n=3)
    hypotheses = list(result.candidates.values())
    metric = sacrebleu.BLEU(tokenize="none", smooth_method="floor", max_ngram_order=3)
    theirs = metric.corpus_score(
        [" ".join(h) for h in hypotheses], [[" ".join(r)] * len(hypotheses) for r in bleu.REFERENCES]
    )
    assert same_score(result.corpus.score, theirs.score / 100)
    assert "eff:yes" in result.sacrebleu_signature


def test_demo_is_deterministic_for_a_seed():
    assert bleu.report(bleu.run(seed=5)).metrics == bleu.report(bleu.run(seed=5)).metrics


def test_script_prints_json_report():
    out = subprocess.run(
        [sys.executable, str(DEMO), "--json", "--max-n", "2", "--smoothing", "floor"],
        capture_output=True,
        text=True,
        check=True,
    )
    rep = json.loads(out.stdout)
    assert rep["demo"] == "bleu"
    assert rep["params"] == {"smoothing": "floor", "flavor": "nltk", "max_n": 2}
    assert rep["metrics"]["score_exact"] == 1.0


def test_script_refuses_a_bad_param_with_exit_code_2():
    out = subprocess.run([sys.executable, str(DEMO), "--smoothing", "bogus"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "smoothing" in out.stderr
