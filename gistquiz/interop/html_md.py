"""Anki's HTML fields to gistquiz's Markdown and back.

Anki stores every field as HTML; a gistquiz deck is Markdown. The two
conversions are built as a pair: ``html_to_markdown(markdown_to_html(md)) == md``
for the Markdown a deck holds (bold, italics, code, lists, fenced code, soft
line breaks, hard breaks and paragraphs), so a deck exported to Anki and
imported back gives the same cards. In the other direction, HTML from Anki
reaches a fixed point after one round: Anki's ``<div>``, ``<span>`` and
``<font>`` soup becomes the plain Markdown that stands for it.

Line breaks follow CommonMark, since the app renders cards as CommonMark:
``<br>`` is a hard break (a line ending in ``\\``), two breaks or an empty
``<div>`` a blank line (a new paragraph), and a raw newline in the HTML a soft
break. Images and sounds become a line of their own, written by a callback
(a link to the extracted file, or a note that the file is missing).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

Media = Callable[[str], str]
"""Markdown for a media file's name as written in a field (``<img src>``, ``[sound:...]``)."""

_BLOCKS = frozenset(
    {"div", "p", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "hr", "section", "article"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "center", "dl", "dt", "dd", "figure", "figcaption"}
    | {"details", "summary", "main", "nav", "aside", "address"}
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_SCRIPTS = ("sub", "sup")
_SCRIPT_TAG = re.compile(r"<(?=/?su[bp]>)")
_SCRIPT_ESCAPED = re.compile(r"&lt;(/?su[bp])&gt;")
_SCRIPT_AHEAD = re.compile(r"/?su[bp](?:>|&gt;|&#0*62;|&#[xX]0*3[eE];)")
"""What follows an escaped ``<`` that makes it the text of a ``<sub>``/``<sup>`` tag."""
_WS = re.compile(r"[ \t\n\r\f]+")
_SOUND = re.compile(r"\[sound:([^\]\n]+)\]")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab and line ends: a field's ESC or BEL would drive the learner's terminal."""


def strip_controls(text: str) -> str:
    return CONTROL.sub("", text) if CONTROL.search(text) else text


def missing_media(name: str) -> str:
    """The line that stands for a media file gistquiz could not import."""
    return f"(missing media: {name})"


# --------------------------------------------------------------------------- HTML -> Markdown


@dataclass(slots=True)
class _Line:
    text: list[str] = field(default_factory=list)
    kind: str = "text"
    """"text", "item" (a list item) or "pre" (a fenced code block): the last two need no hard break around them."""
    soft_before: bool = False
    """The line follows a raw newline of the HTML (a soft break), not a ``<br>`` or a block."""


_TOKEN = re.compile(
    r"(<!--)"  # 1 a comment's start (its end is found with str.find: linear on any input)
    r"|(<[!?][^>]*+(?:>|\Z))"  # 2 doctype or processing instruction (unclosed: to the end, as in a browser)
    r"|<(/?)([A-Za-z][A-Za-z0-9-]*+)"  # 3 slash, 4 tag name (its attributes and end: see _tag_end)
    r"|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});"  # 5 character reference
    r"|([^<&]+|[<&])",  # 6 text, or a lone < or &
    re.DOTALL,
)
_UNQUOTED = re.compile(r"[^>\"']*+")


def _tag_end(text: str, pos: int) -> int:
    """The index of the ``>`` that ends a tag whose attributes start at ``pos`` (quoted values may hold ``>``).

    -1 if the field ends first. Each character is looked at once, whatever the input: a regex with a repeated
    group here was quadratic on ``'<a ' * n`` (every ``<`` rescanned the rest) or slow on long tags.
    """
    n = len(text)
    while True:
        pos = _UNQUOTED.match(text, pos).end()
        if pos >= n:
            return -1
        if text[pos] == ">":
            return pos
        close = text.find(text[pos], pos + 1)
        if close == -1:
            return -1
        pos = close + 1


_ATTR = re.compile(r"([A-Za-z_:][-\w:.]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_PLAIN_SPACES = re.compile(r"[\t\n\r\f]|  ")
_WITH_ATTRS = frozenset({"img", "a", "code"})


class _ToMarkdown:
    """Parser events (from :meth:`feed`, a one-regex tokenizer: html.parser is several times slower) to lines."""

    def __init__(self, media: Media):
        self.media = media
        self.lines: list[_Line] = []
        self.line = _Line()
        self.lists: list[list[int]] = []
        """Open lists, innermost last: [-1] for ``<ul>``, [n] for ``<ol>`` at item n."""
        self.skip = 0
        self.pre: list[str] | None = None
        self.pre_lang = ""
        self.code = 0
        self.code_text: list[str] = []
        self.pending: list[str] = []
        """Emphasis markers opened but not yet written (written before the next visible text)."""
        self.open_marks: list[tuple[str, bool]] = []
        """(marker, written) for each open ``<b>``/``<i>``."""
        self.just_closed = ""
        self.cell = False
        self.link = ""
        self.last_code = ""
        self.code_piece: str | None = None
        """The last code span written, as an element of a line: a code span right after it joins it."""

    # -- lines

    def end_line(self, kind: str = "hard") -> None:
        """End the current line: at a ``<br>`` (kind "hard", which may leave an empty line) or a block.

        Bold and italics do not run across lines in gistquiz's Markdown (nor in the Markdown -> HTML of the
        exporter): runs still open are closed here and reopened before the next line's text.
        """
        empty = not self.line.text and self.line.kind == "text"
        if kind == "block" and empty:
            return
        self._suspend_runs()
        self.lines.append(self.line)
        self.line = _Line()
        self.just_closed = ""

    def _suspend_runs(self) -> None:
        """Close the bold/italic runs open on this line, to reopen them before the next line's text."""
        reopen = []
        for i in range(len(self.open_marks) - 1, -1, -1):
            mark, written = self.open_marks[i]
            if written:
                self._write_closing(mark)
                self.open_marks[i] = (mark, False)
                reopen.insert(0, mark)
        self.pending[:0] = reopen

    def text(self, s: str, code: bool = False) -> None:
        """Visible text (``code``: a finished code span, whose characters are never escaped)."""
        if not s:
            return
        if self.pending and s.strip():  # markers open before visible text, never before (non-breaking) spaces
            lead = len(s) - len(s.lstrip())
            self.line.text.append(s[:lead])
            self.line.text.append("".join(self.pending))
            for i, (mark, written) in enumerate(self.open_marks):
                if not written:
                    self.open_marks[i] = (mark, True)
            self.pending.clear()
            s = s[lead:]
        # Text, not markup: a literal * or \\ would otherwise be read back as emphasis or an escape.
        if not code and ("*" in s or "\\" in s):
            s = _BACKSLASH_BEFORE_PUNCT.sub(r"\\\\", s).replace("*", "\\*")
        if not code and "<" in s:  # a literal "<sub>" in the text, not the tag gistquiz keeps
            s = _SCRIPT_TAG.sub(r"\\<", s)
        self.line.text.append(s)
        self.just_closed = ""

    def feed(self, text: str) -> None:
        pos, n = 0, len(text)
        while pos < n:
            m = _TOKEN.match(text, pos)
            which = m.lastindex
            pos = m.end()
            if which == 6:
                if not self.skip:
                    self.handle_data(m.group(6))
            elif which == 4:
                end = _tag_end(text, pos)
                if end == -1:  # a tag the field never closes: a browser (and so Anki) shows nothing after it
                    break
                body = text[pos:end].rstrip()
                pos = end + 1
                tag = m.group(4).lower()
                if m.group(3):
                    self.handle_endtag(tag)
                    continue
                attrs = []
                if body and tag in _WITH_ATTRS:
                    attrs = [(k.lower(), html.unescape(v.strip("\"'")) if v else "") for k, v in _ATTR.findall(body)]
                if body.endswith("/"):
                    self.handle_startendtag(tag, attrs)
                else:
                    self.handle_starttag(tag, attrs)
            elif which == 5 and not self.skip:
                ref = m.group(5)
                char = "\xa0" if ref == "nbsp" else html.unescape(f"&{ref};")
                if char == "<" and not self.code and self.pre is None and _SCRIPT_AHEAD.match(text, pos):
                    # "&lt;sub&gt;" is the text "<sub>", which the Markdown would read as the tag it keeps: the
                    # "<" is escaped here, where the tag's name and ">" (separate tokens) are still ahead.
                    self.text("\\<", code=True)
                else:
                    self.literal(char)
            elif which == 1:
                end = text.find("-->", pos)
                pos = n if end == -1 else end + 3

    def raw(self, data: str) -> None:
        """Text from the HTML source: whitespace collapses, a newline is a soft break."""
        if self.pre is not None:
            self.pre.append(data)
            return
        if self.code:
            self.code_text.append(_WS.sub(" ", data))
            return
        if not _PLAIN_SPACES.search(data):  # the common case: words and single spaces
            if data.startswith(" ") and (not self.line.text or _ends_with_space(self.line.text)):
                data = data[1:]
            self.text(data)
            if data.endswith(" "):
                self.just_closed = ""
            return
        pos = 0
        for m in _WS.finditer(data):
            self.text(data[pos : m.start()])
            pos = m.end()
            at_start = not self.line.text
            if "\n" in m.group(0) and self.line.text and not self.cell:
                self._suspend_runs()
                self.lines.append(self.line)
                self.line = _Line(soft_before=True)
                self.just_closed = ""
            elif not at_start and not _ends_with_space(self.line.text):
                self.line.text.append(" ")
                self.just_closed = ""
        self.text(data[pos:])

    def literal(self, s: str) -> None:
        """Decoded entities: kept as they are (a ``&nbsp;`` is a space that does not collapse)."""
        if self.pre is not None:
            self.pre.append(s)
        elif self.code:
            self.code_text.append(s)
        else:
            self.text(s)

    # -- parser events

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        if self.skip:
            return
        a = dict(attrs)
        if self.pre is not None:
            if tag == "br":
                self.pre.append("\n")
            elif tag == "code" and not self.pre_lang:
                self.pre_lang = _language(a.get("class") or "")
            return
        if tag in _MARKS:
            mark = _MARKS[tag]
            if self.just_closed == mark and self.line.text and self.line.text[-1] == mark:
                self.line.text.pop()  # <b>a</b><b>b</b> is one bold run
                self.open_marks.append((mark, True))
            else:
                self.pending.append(mark)
                self.open_marks.append((mark, False))
            self.just_closed = ""
        elif tag == "br":
            self.end_line()
        elif tag in _SCRIPTS and not self.code:
            self.text(f"<{tag}>", code=True)  # kept as HTML in the Markdown: H<sub>2</sub>O, x<sup>2</sup>
        elif tag == "code":
            if not self.code and self.line.text and self.line.text[-1] is self.code_piece:
                self.line.text.pop()  # <code>a</code><code>b</code> is one span (even with <i></i> between)
                self.code_text = [self.last_code]
            self.code += 1
        elif tag == "pre":
            self.end_line("block")
            self.pre, self.pre_lang = [], ""
        elif tag == "img":
            self.media_line(a.get("src") or "")
        elif tag in ("ul", "ol"):
            self.end_line("block")
            self.lists.append([-1] if tag == "ul" else [0])
        elif tag == "li":
            self.end_line("block")
            depth = max(len(self.lists) - 1, 0)
            bullet = "- "
            if self.lists and self.lists[-1][0] >= 0:
                self.lists[-1][0] += 1
                bullet = f"{self.lists[-1][0]}. "
            self.line = _Line([" " * (2 * depth) + bullet], kind="item")
        elif tag in ("td", "th"):
            if self.line.text:
                self.text(" | ")
            self.cell = True
        elif tag in _BLOCKS:
            self.end_line("block")
        elif tag == "a":
            self.text("[")
            self.link = a.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(self.skip - 1, 0)
            return
        if self.skip:
            return
        if self.pre is not None:
            if tag == "pre":
                body = "".join(self.pre).replace("\xa0", " ")
                fence = "`" * max(3, _longest_run(body, "`") + 1)
                self.line = _Line([f"{fence}{self.pre_lang}\n{body}\n{fence}"], kind="pre")
                self.end_line("block")
                self.pre = None
            return
        if tag in _MARKS:
            self.close_mark(_MARKS[tag])
        elif tag in _SCRIPTS and not self.code:
            self.text(f"</{tag}>", code=True)
        elif tag == "code" and self.code:
            self.code -= 1
            if not self.code:
                body = "".join(self.code_text).strip(" ")
                self.code_text = []
                if body:
                    ticks = "`" * (_longest_run(body, "`") + 1)
                    pad = " " if body.startswith("`") or body.endswith("`") else ""
                    self.text(f"{ticks}{pad}{body}{pad}{ticks}", code=True)
                    self.last_code = body
                    self.code_piece = self.line.text[-1]
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.end_line("block")
        elif tag in ("td", "th"):
            self.cell = False
        elif tag == "a":
            self.text(f"]({self.link})")
        elif tag in _BLOCKS:
            self.end_line("block")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if "[sound:" in data and self.pre is None and not self.code:
            pos = 0
            for m in _SOUND.finditer(data):
                self.raw(data[pos : m.start()])
                self.media_line(m.group(1))
                pos = m.end()
            data = data[pos:]
        self.raw(data)

    def close_mark(self, mark: str) -> None:
        for i in range(len(self.open_marks) - 1, -1, -1):
            if self.open_marks[i][0] == mark:
                _, written = self.open_marks.pop(i)
                break
        else:
            return
        if not written:
            if mark in self.pending:
                self.pending.remove(mark)
            return
        self._write_closing(mark)
        self.just_closed = mark if not "".join(self.line.text).endswith(" ") else ""

    def _write_closing(self, mark: str) -> None:
        # Markers go inside trailing spaces: "**bold** " and not "**bold **".
        joined = "".join(self.line.text)
        stripped = joined.rstrip(" ")
        self.line.text = [stripped, mark, joined[len(stripped) :]] if stripped != joined else [joined, mark]

    def media_line(self, src: str) -> None:
        name = html.unescape(src).strip()
        if not name:
            return
        self.end_line("block")
        self.line.text.append(self.media(name))
        self.end_line("block")

    # -- output

    def markdown(self, check_emphasis: bool = True) -> str:
        for mark, written in reversed(self.open_marks):  # unclosed <b> at the end of a field
            if written:
                self.close_mark(mark)
        self.end_line("block")
        out: list[str] = []
        prev: _Line | None = None
        empty_run = 0
        for line in self.lines:
            text = "".join(line.text)
            if line.kind != "pre":
                text = text.rstrip(" ").replace("\xa0", " ")
                if check_emphasis and _MARKER.search(text):
                    text = _expressible(text, line.kind)
            if not text.strip() and line.kind == "text":
                empty_run += 1
                continue
            if prev is not None:
                if empty_run:
                    out.append("\n\n")
                elif line.soft_before or prev.kind != "text" or line.kind != "text":
                    out.append("\n")
                else:
                    out.append("\\\n")
            out.append(text)
            prev, empty_run = line, 0
        return "".join(out).strip("\n")


_MARKER = re.compile(r"(?<!\\)\*")
"""A ``*`` not escaped: text stars are written ``\\*``, so a bare one is an emphasis marker."""


def _expressible(line: str, kind: str) -> str:
    """``line``, or the same text without its emphasis markers if Markdown would not read them back.

    CommonMark cannot mark every run the way HTML can (``a<b>;</b>``: a ``**`` between a letter and a
    punctuation mark is text, not bold). Such a run is dropped rather than left as literal asterisks,
    which keeps the conversion stable: converting the result to HTML and back gives it again.
    """
    prefix = ""
    if kind == "item":
        prefix = re.match(r"\s*(?:[-*+]|\d+[.)])\s+", line).group(0)
    body = line[len(prefix) :]
    if _line_again(body) == body:
        return line
    # Drop the markers (outside code spans, whose stars are text), then let the converter tidy what is left
    # (two code spans the markers kept apart now touch, and merge).
    parts, pos = [], 0
    for m in _CODE_SPAN.finditer(body):
        parts += [_UNESCAPED_STAR.sub(lambda e: e.group(1) or "", body[pos : m.start()]), m.group(0)]
        pos = m.end()
    parts.append(_UNESCAPED_STAR.sub(lambda e: e.group(1) or "", body[pos:]))
    return prefix + _line_again("".join(parts))


def _line_again(body: str) -> str:
    """One line of Markdown through HTML and back, as the exporter and a re-import would take it."""
    again = _ToMarkdown(missing_media)
    again.feed(_inline(body))
    return again.markdown(check_emphasis=False)


_UNESCAPED_STAR = re.compile(r"(\\.)|\*")


def _ends_with_space(parts: list[str]) -> bool:
    for p in reversed(parts):
        if p:
            return p[-1] in " \xa0\n"
    return True


def _longest_run(text: str, ch: str) -> int:
    runs = re.findall(f"{re.escape(ch)}+", text)
    return max((len(r) for r in runs), default=0)


def _language(css_class: str) -> str:
    for c in css_class.split():
        if c.startswith("language-"):
            return c.removeprefix("language-")
    return ""


def html_to_markdown(text: str, media: Media = missing_media) -> str:
    """Markdown for one Anki field (HTML)."""
    parser = _ToMarkdown(media)
    if "<" in text or "&" in text or "[sound:" in text:
        parser.feed(text)
    else:
        parser.raw(text)
    return parser.markdown()


def plain_to_markdown(text: str, media: Media = missing_media) -> str:
    """Markdown for a field of a text export made without HTML: every newline is a line break."""
    return html_to_markdown(html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>"), media)


# --------------------------------------------------------------------------- Markdown -> HTML

_FENCE_OPEN = re.compile(r"^(`{3,})([\w+#.-]*)[ \t]*$")
_ITEM = re.compile(r"^- (.*)$")
_NUMBERED = re.compile(r"^([1-9]\d{0,5})\. (.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_SPACES = re.compile(r"(?<=[^ ]) {2,}| +$|^ +")


def markdown_to_html(md: str, media: MediaOut | None = None) -> str:
    """HTML for an Anki field from Markdown; :func:`html_to_markdown` reads it back to the same text.

    Links become ``<a href>``; an image becomes ``<img src>`` when ``media`` names the file in the package
    (``media(target)``: the Anki media name, or ``None`` to leave the Markdown as text).
    """
    units: list[tuple[str, str]] = []
    """(kind, content): "text", "item" (``- x``), "number" (``1. x``) or "pre" (a fenced block, as HTML)."""
    seps: list[str] = []
    lines = md.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i, blank = 0, False
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank = True
            i += 1
            continue
        fence = _FENCE_OPEN.match(line)
        close = _closing_fence(lines, i, fence.group(1)) if fence else -1
        if units:
            seps.append("para" if blank else "soft")
        blank = False
        if fence and close != -1:
            body = "\n".join(lines[i + 1 : close])
            cls = f' class="language-{fence.group(2)}"' if fence.group(2) else ""
            units.append(("pre", f"<pre><code{cls}>{html.escape(body, quote=False)}</code></pre>"))
            i = close + 1
            continue
        item = _ITEM.match(line)
        number = _NUMBERED.match(line) if not item else None
        if item and item.group(1).strip():
            units.append(("item", item.group(1)))
        elif number and number.group(2).strip() and _number_fits(units, seps, int(number.group(1))):
            units.append(("first" if number.group(1) == "1" else "number", number.group(2)))
        else:
            units.append(("text", line))
        i += 1
    # A line ending in a backslash before another text line is a hard break.
    for n in range(len(seps)):
        if seps[n] == "soft" and units[n][0] == "text" and units[n + 1][0] == "text" and units[n][1].endswith("\\"):
            units[n] = ("text", units[n][1][:-1])
            seps[n] = "hard"
    out: list[str] = []
    open_list = ""
    for n, (kind, content) in enumerate(units):
        family = {"item": "ul", "first": "ol", "number": "ol"}.get(kind, "")
        if n:
            sep, prev = seps[n - 1], units[n - 1][0]
            if open_list and (family != open_list or sep == "para" or kind == "first"):
                out.append(f"</{open_list}>")
                open_list = ""
            if sep == "para":
                out.append("<br>" if prev != "text" else "<br><br>")
            elif sep == "hard":
                out.append("<br>")
            elif prev == "text" and kind == "text":
                out.append("\n")
        if family:
            if not open_list:
                open_list = family
                out.append(f"<{family}>")
            out.append(f"<li>{_inline(content, media)}</li>")
        elif kind == "pre":
            out.append(content)
        else:
            out.append(_inline(content, media))
    if open_list:
        out.append(f"</{open_list}>")
    return "".join(out)


def _number_fits(units: list[tuple[str, str]], seps: list[str], number: int) -> bool:
    """Whether an ``N. text`` line is numbered as ``<ol>`` would number it: 1, or the next number of its list."""
    if number == 1:
        return True
    if not units or units[-1][0] not in ("first", "number") or seps[-1] != "soft":
        return False
    count, n = 1, len(units) - 1
    while units[n][0] != "first":
        count, n = count + 1, n - 1
    return number == count + 1


def _closing_fence(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    return -1


def inline_to_html(text: str) -> str:
    """One line of Markdown (no lists or blocks) as HTML, for a list item such as a multiple-choice option."""
    return _inline(" ".join(text.split("\n")))


MediaOut = Callable[[str], str | None]
"""An image's Markdown target -> its file name in the package being written (``None``: not packed)."""
_MD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\((?:<([^>\n]*)>|([^()\s]+))\)")


def _inline(text: str, media: MediaOut | None = None) -> str:
    """One line of Markdown as HTML: code spans, then emphasis around them, then spaces that must not collapse."""
    codes: list[str] = []

    def link(m: re.Match[str]) -> str:
        bang, label, target = m.group(1), m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
        if bang:
            name = media(target) if media is not None else None
            if name is None:
                return m.group(0)
            return hold_char(f'<img src="{html.escape(name)}" alt="{html.escape(label)}">', escaped=True)
        if not label.strip():
            return m.group(0)
        return hold_char(f'<a href="{html.escape(target)}">{html.escape(label, quote=False)}</a>', escaped=True)

    def hold(m: re.Match[str]) -> str:
        body = m.group(2)
        if body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        return hold_char(f"<code>{html.escape(body, quote=False)}</code>", escaped=True)

    def hold_char(piece: str, escaped: bool = False) -> str:
        codes.append(piece if escaped else html.escape(piece, quote=False))
        return chr(_HOLD + len(codes) - 1)

    text = _CODE_SPAN.sub(hold, text) if "`" in text else text
    if "](" in text:
        text = _MD_LINK.sub(link, text)
    if "\\" in text:  # backslash escapes (CommonMark): the character, never markup
        text = _ESCAPED.sub(lambda m: hold_char(m.group(1)), text)
    out = _emphasis(html.escape(text, quote=False))
    if "&lt;" in out:  # the subscripts and superscripts a deck keeps as HTML
        out = _SCRIPT_ESCAPED.sub(r"<\1>", out)
    if codes:
        out = re.sub(f"[{chr(_HOLD)}-{chr(_HOLD + len(codes) - 1)}]", lambda m: codes[ord(m.group(0)) - _HOLD], out)
    out = out.replace("\t", "&#9;")
    return _SPACES.sub(_spaces, out)


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_BACKSLASH_BEFORE_PUNCT = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
"""A backslash that Markdown would read as an escape; any other backslash is already literal."""
_HOLD = 0xF0000
"""Code spans stand aside as characters of a private-use plane while emphasis is matched around them."""


def _spaces(m: re.Match[str]) -> str:
    run = m.group(0)
    if m.start() == 0 or m.end() == len(m.string):
        return "&nbsp;" * len(run)
    return " " + "&nbsp;" * (len(run) - 1)


@dataclass
class _Run:
    """A run of ``*`` in a line (CommonMark's delimiter run)."""

    node: int
    length: int
    can_open: bool
    can_close: bool
    left: int = 0
    opens: list[str] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.left = self.length


def _emphasis(text: str) -> str:
    """``*em*`` and ``**strong**`` as ``<i>`` and ``<b>``, by CommonMark's rules for ``*`` delimiter runs.

    The app shows cards with a CommonMark renderer, so Anki must see the same emphasis it would.
    """
    if "*" not in text:
        return text
    nodes: list[str | _Run] = []
    runs: list[_Run] = []
    pos = 0
    for m in re.finditer(r"\*+", text):
        nodes.append(text[pos : m.start()])
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        left = not after.isspace() and (not _punct(after) or before.isspace() or _punct(before))
        right = not before.isspace() and (not _punct(before) or after.isspace() or _punct(after))
        run = _Run(len(nodes), len(m.group(0)), left, right)
        nodes.append(run)
        runs.append(run)
        pos = m.end()
    nodes.append(text[pos:])
    active = [r for r in runs if r.can_open or r.can_close]
    i = 0
    while i < len(active):
        closer = active[i]
        if not closer.can_close or closer.left == 0:
            i += 1
            continue
        found = -1
        for j in range(i - 1, -1, -1):
            opener = active[j]
            if not opener.can_open or opener.left == 0:
                continue
            both = opener.can_close or closer.can_open
            if both and (opener.length + closer.length) % 3 == 0 and (opener.length % 3 or closer.length % 3):
                continue
            found = j
            break
        if found == -1:
            if not closer.can_open:
                active.pop(i)
            else:
                i += 1
            continue
        opener = active[found]
        use = 2 if opener.left >= 2 and closer.left >= 2 else 1
        tag = "b" if use == 2 else "i"
        opener.left -= use
        closer.left -= use
        opener.opens.insert(0, f"<{tag}>")
        closer.closes.append(f"</{tag}>")
        del active[found + 1 : i]
        i = found + 1
        if opener.left == 0:
            active.pop(found)
            i -= 1
        if closer.left == 0:
            active.pop(i)
    out = []
    for n in nodes:
        out.append(n if isinstance(n, str) else "".join(n.closes) + "*" * n.left + "".join(n.opens))
    return "".join(out)


def _punct(ch: str) -> bool:
    import unicodedata

    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
