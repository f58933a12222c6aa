"""Anki field HTML <-> gistquiz Markdown: exact round trips for deck Markdown, fixed points for Anki's HTML."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timing import best_of_interleaved

from gistquiz import card_text
from gistquiz.interop.html_md import CONTROL, html_to_markdown, markdown_to_html, plain_to_markdown, strip_controls


def test_bold_italics_and_code_become_markdown():
    assert html_to_markdown("a <b>bold</b>, <i>it</i>, <strong>s</strong>, <em>e</em>, <code>x[0]</code>") == (
        "a **bold**, *it*, **s**, *e*, `x[0]`"
    )


def test_entities_are_decoded_and_nbsp_is_a_space():
    assert html_to_markdown("caf&eacute; &amp; &lt;tag&gt; &#955;&nbsp;x &quot;q&quot;") == 'café & <tag> λ x "q"'


def test_line_breaks_and_anki_divs_become_hard_breaks_and_paragraphs():
    assert html_to_markdown("one<br>two<br><br>three") == "one\\\ntwo\n\nthree"
    assert html_to_markdown("<div>one</div><div>two</div><div><br></div><div>four</div>") == "one\\\ntwo\n\nfour"


def test_lists_become_markdown_lists():
    assert html_to_markdown("Parts:<ul><li>conv</li><li>pool<ul><li>max</li></ul></li></ul>end") == (
        "Parts:\n- conv\n- pool\n  - max\nend"
    )
    assert html_to_markdown("<ol><li>first</li><li>second</li></ol>") == "1. first\n2. second"


def test_image_is_a_missing_media_line_unless_the_package_has_it():
    assert html_to_markdown('see <img src="cat.jpg"> here') == "see\\\n(missing media: cat.jpg)\\\nhere"
    assert html_to_markdown("[sound:hello.mp3]") == "(missing media: hello.mp3)"
    assert html_to_markdown('<img src="a&amp;b.png">', media=lambda n: f"![{n}](x/{n})") == "![a&b.png](x/a&b.png)"


def test_spans_fonts_scripts_and_styles_leave_only_their_text():
    html = "<span style='color:red'>A</span><font color=blue>B</font><script>alert(1)</script><style>p{}</style>C"
    assert html_to_markdown(html) == "ABC"


def test_whitespace_collapses_as_html_does():
    assert html_to_markdown("  a   b\t c  ") == "a b c"
    assert html_to_markdown("<b> bold </b>word") == "**bold** word"


def test_code_block_keeps_its_text():
    html = '<pre><code class="language-python">if a &lt; b:\n    print(a * b * c)</code></pre>'
    assert html_to_markdown(html) == "```python\nif a < b:\n    print(a * b * c)\n```"


def test_plain_text_fields_keep_their_newlines_and_angle_brackets():
    assert plain_to_markdown("a < b\nnext") == "a < b\\\nnext"


def test_markdown_to_html_for_anki():
    assert markdown_to_html("**B** *i* `c` a<b") == "<b>B</b> <i>i</i> <code>c</code> a&lt;b"
    assert markdown_to_html("one\\\ntwo\n\nthree\n- x\n- y") == "one<br>two<br><br>three<ul><li>x</li><li>y</li></ul>"


def test_emphasis_follows_commonmark_for_adjacent_runs():
    assert markdown_to_html("*a***b**") == "<i>a</i><b>b</b>"
    assert markdown_to_html("***x***") == "<i><b>x</b></i>"
    assert markdown_to_html("a * b ** c") == "a * b ** c"


def test_bundled_style_cards_round_trip():
    md = (
        "Two things it lacked before: **lots of labelled data** and **lots of compute** (GPUs).\n"
        "A CNN stacks {{c1::convolution}} and {{c2::max-pooling::downsampling}} layers.\n\n"
        "```python\nprint(np.zeros((2, 3)).T.shape)\n```\n"
        "`(3, 2)` is the answer; w ← w − η·∇L"
    )
    assert html_to_markdown(markdown_to_html(md)) == md


# --------------------------------------------------------------------------- properties

_WORD = st.text(alphabet="abcxyzABC0189éλ.,;:!?'\"()/<>&=+_", min_size=1, max_size=6).filter(
    lambda w: w.strip() and not w.startswith(("-", "#"))
)
_INLINE = st.one_of(
    _WORD,
    _WORD.map(lambda w: f"**{w}**"),
    _WORD.map(lambda w: f"*{w}*"),
    _WORD.filter(lambda w: "`" not in w).map(lambda w: f"`{w}`"),
)
_TEXT_LINE = (
    st.lists(_INLINE, min_size=1, max_size=6)
    .map(" ".join)
    .filter(lambda s: not re.match(r"^(\d+\. |- |\?$|#)", s) and not s.endswith("\\"))
)


@st.composite
def _markdown(draw) -> str:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["text", "text", "items", "numbers", "code"]))
        if kind == "text":
            block = draw(st.lists(_TEXT_LINE, min_size=1, max_size=3))
            joins = [draw(st.sampled_from(["\n", "\\\n"])) for _ in block[1:]]
            chunk = block[0] + "".join(j + line for j, line in zip(joins, block[1:], strict=True))
        elif kind == "items":
            chunk = "\n".join("- " + line for line in draw(st.lists(_TEXT_LINE, min_size=1, max_size=3)))
        elif kind == "numbers":
            lines = draw(st.lists(_TEXT_LINE, min_size=1, max_size=3))
            chunk = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
        else:
            body = draw(st.lists(_WORD.filter(lambda w: "`" not in w), min_size=1, max_size=3))
            chunk = "```py\n" + "\n".join(body) + "\n```"
        out.append(chunk)
    seps = [draw(st.sampled_from(["\n", "\n\n"])) for _ in out[1:]]
    return out[0] + "".join(s + c for s, c in zip(seps, out[1:], strict=True))


@settings(deadline=None, max_examples=100)
@given(_markdown())
def test_markdown_survives_a_trip_through_anki_html(md):
    assert html_to_markdown(markdown_to_html(md)) == md


_HTML_PIECE = st.one_of(
    st.text(alphabet="ab c\n&;<>*", min_size=1, max_size=5).map(
        lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    ),
    st.sampled_from(["<br>", "&nbsp;", '<img src="x.png">', "<div>", "</div>", "<b>", "</b>", "<i>", "</i>"]),
    st.sampled_from(["<ul><li>", "</li><li>", "</li></ul>", "<span>", "</span>", "<code>c</code>"]),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(_HTML_PIECE, max_size=12).map("".join))
def test_anki_html_reaches_a_fixed_point_after_one_round(html):
    md = html_to_markdown(html)
    assert html_to_markdown(markdown_to_html(md)) == md


@pytest.mark.parametrize(
    ("html", "md"),
    [
        ("2 * 3 = 6", "2 \\* 3 = 6"),  # a star in the text is text, not emphasis
        ("*;<b>*;*;", "\\*;**\\*;\\*;**"),
        ("<code>a*b</code> x*y", "`a*b` x\\*y"),  # but inside code it stays as it is
        ("a \\* b", "a \\\\\\* b"),  # a backslash Markdown would read as an escape, and the star
        ("<b>one<br>two</b>", "**one**\\\n**two**"),  # bold does not run across lines
        ("a<b>&nbsp;</b>x", "a x"),  # nor start at a (non-breaking) space
        ("a<b>;</b>", "a;"),  # Markdown cannot bold a lone ';' after a letter: dropped, not shown as **
        ("<code>c</code><i></i><code>c</code>", "`cc`"),  # touching code spans are one
    ],
)
def test_edge_cases_found_by_the_fixed_point_property(html, md):
    assert html_to_markdown(html) == md
    assert html_to_markdown(markdown_to_html(md)) == md


@pytest.mark.parametrize(
    "hostile",
    [lambda n: "<a " * n, lambda n: "<a" + " " * (4 * n), lambda n: "<!--" * n, lambda n: '<a "' * n + "x" * n],
    ids=["unclosed tags", "one tag of spaces", "comments", "unclosed quotes"],
)
def test_conversion_of_hostile_html_grows_linearly(hostile):
    n = 50_000  # and 4n = 200,000: large enough that the small run takes milliseconds
    small, large = hostile(n), hostile(4 * n)
    t_small, t_large = best_of_interleaved(5, html_to_markdown, small, large)
    assert t_large / t_small < 8, (t_small, t_large)


def test_a_tag_the_field_never_closes_hides_the_rest_as_in_a_browser():
    assert html_to_markdown("before <b>bold</b> <a href='x") == "before **bold**"
    assert html_to_markdown("2 < 3 and a<b") == "2 < 3 and a"


_HOSTILE_PIECE = st.one_of(
    st.text(max_size=8),  # any Unicode, control characters included
    st.sampled_from(
        ["<", ">", "</", "<!--", "-->", "<a ", '"', "'", "&", "&#", "&#x", ";", "<br", "<img src=", "\x00"]
    ),
    st.sampled_from(["<b>", "</b>", "<i>", "<ul>", "<li>", "<ol>", "<pre>", "<code>", "<table>", "<td>", "</td>"]),
    st.sampled_from(["&nbsp;", "&#99999999;", "&#x110000;", "&#0;", "&bogus;", "<sub>", "<sup>", "<div", "<p/>"]),
)


@settings(deadline=None, max_examples=300)
@given(st.lists(_HOSTILE_PIECE, max_size=30).map("".join))
def test_no_hostile_field_makes_the_converter_raise_or_write_control_characters(html):
    assert isinstance(html_to_markdown(html), str)
    md = html_to_markdown(strip_controls(html))  # as the importer converts a field
    assert CONTROL.search(md) is None, repr(md)


@pytest.mark.parametrize(
    ("field", "md", "shown"),
    [
        ("a &lt;sub&gt; b", "a \\<sub> b", "a <sub> b"),
        ("H&lt;sub&gt;2&lt;/sub&gt;O", "H\\<sub>2\\</sub>O", "H<sub>2</sub>O"),
        ("<b>&lt;sup&gt;</b> x", "**\\<sup>** x", "**<sup>** x"),
    ],
)
def test_an_escaped_sub_tag_is_the_literal_text_both_ways(field, md, shown):
    assert html_to_markdown(field) == md
    assert card_text.scripts(md) == md  # not read as the subscript a real <sub> is
    assert card_text.plain(md) == shown  # review --plain
    assert markdown_to_html(md) == field  # and back to Anki as it came


_SCRIPT_TEXT_PIECE = st.sampled_from(
    ["a", "2", " ", "&lt;", "&gt;", "&lt;sub&gt;", "&lt;/sub&gt;", "&lt;sup&gt;", "&lt;/sup&gt;", "sub", "/", "&amp;"]
)


@settings(deadline=None, max_examples=300)
@given(st.lists(_SCRIPT_TEXT_PIECE, max_size=12).map("".join))
def test_escaped_tags_in_anki_text_come_back_as_the_same_text(field):
    # Text only (every '<' escaped): what Anki shows is html.unescape of the field; it must read the same after
    # a trip through gistquiz's Markdown, and the Markdown must be a fixed point.
    md = html_to_markdown(field)
    back = markdown_to_html(md)
    assert html.unescape(back).replace("\xa0", " ") == " ".join(html.unescape(field).split())
    assert html_to_markdown(back) == md
    assert card_text.scripts(md) == md
