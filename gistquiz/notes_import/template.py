"""The deck ``gistquiz new-deck`` writes: one short example of each kind of card, with comments on the format.

It is a working deck (``gistquiz check`` passes on it), so a user can study it
at once and learn the format by changing it.
"""

from __future__ import annotations

import re

_TEMPLATE = """\
# @TITLE@

What this deck is about. (Text between the title and the first card is the deck's description.)

<!--
How this file works (text inside these comment marks is ignored):

- Every "## " heading starts a card and is its front, the question. The text under it is the back.
- Right under a heading you may put these lines, then leave a blank line before the answer:
    tags: words to group cards by
    type: basic (the default), reversed (asked both ways) or typed (you type the answer)
    id: a-stable-name (keeps the card's review history however you reword it)
    demo: the name of a demo to run with the card ('gistquiz demo list' shows them)
- After each edit run 'gistquiz check' (it prints 'file:line: problem' for anything wrong).
- The cards below are examples: change them into your own, or delete them.
-->

## What does a basic card look like?
tags: example

A heading (the question), then the answer under it. Any **Markdown** works here.

## Learning rate η
tags: example
type: reversed

<!-- "reversed" makes two cards: this front asks for the back, and the back asks for this front. -->
The step size of gradient descent: how far the weights move against the gradient at each update.

## Which of these layers has no trainable weights?
tags: example

<!-- Options "- [x]" (right) and "- [ ]" (wrong) make a multiple-choice card; text after them explains. -->
- [ ] Convolution
- [x] Max-pooling
- [ ] Dense

Max-pooling only takes the largest value in each window.

## What metric scores a machine translation against reference translations?
tags: example
type: typed

<!-- "typed": you type the answer. The first line holds the accepted answers, separated by "|". -->
BLEU | BLEU score
It counts the n-grams the translation shares with the references.

## The parts of a CNN
tags: example

<!-- Each {{cN::...}} is hidden in turn, one card per number; {{c2::text::hint}} shows a hint. -->
A CNN stacks {{c1::convolution}} and {{c2::max-pooling::downsampling}} layers, then dense layers.

## What shape does this print?

```python
import numpy as np
print(np.zeros((2, 3)).T.shape)
```
?
<!-- A line holding only "?" ends a front that needs more than the heading (code, a formula, a table). -->
`(3, 2)`: `.T` swaps the two axes.
"""

_SLUG_WORD = re.compile(r"[^\W_]+")


def render(title: str) -> str:
    """The template deck, titled ``title``."""
    return _TEMPLATE.replace("@TITLE@", " ".join(title.split()) or "My deck")


def file_stem(name: str) -> str:
    """The file name (without ``.md``) for a deck called ``name``: lower-case words joined by ``-``."""
    name = name.strip()
    if name.lower().endswith(".md"):
        name = name[:-3]
    return "-".join(_SLUG_WORD.findall(name.lower()))[:80].strip("-")
