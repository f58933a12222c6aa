"""One paragraph of Markdown (bold, italics, code, links) as styled text that wraps at word boundaries.

Quiz options and the quiz summary are single paragraphs. A Rich ``Markdown`` renderable inside an
``OptionList`` is rendered wider than the list's content area and cut mid-word at the right edge;
a ``Text`` is wrapped by the widget itself, at the width it really has.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from rich.text import Text

STYLES = {"strong": "bold", "em": "italic", "s": "strike", "link": "underline"}

_parser = MarkdownIt("commonmark").enable("strikethrough")


def inline_markdown(source: str, style: str = "") -> Text:
    """``source`` as Text: its Markdown marks become styles, line breaks become spaces."""
    text = Text(style=style)
    open_styles: list[str] = []
    for block in _parser.parseInline(source):
        for token in block.children or []:
            kind = token.type
            if kind.endswith("_open") and kind[: -len("_open")] in STYLES:
                open_styles.append(STYLES[kind[: -len("_open")]])
            elif kind.endswith("_close") and kind[: -len("_close")] in STYLES:
                open_styles.pop()
            elif kind == "code_inline":
                text.append(token.content, style=" ".join([*open_styles, "bold"]))
            elif kind in ("softbreak", "hardbreak"):
                text.append(" ")
            elif kind == "text" or token.content:
                text.append(token.content, style=" ".join(open_styles))
    return text
