"""Check-your-understanding quizzes that work with no kernel: on the website, in JupyterLab,
in Colab and in the PDF.

A quiz is a list of questions, each with its choices; each choice says whether it is right and
why. It renders as plain HTML — one ``<details>`` element per choice, so picking (clicking) an
answer opens the feedback for that choice, with no JavaScript and no widget manager — and ends
with a folded answer key (which the PDF prints open)::

    ab.quiz([
        ("Why divide the scores by √d_k?", [
            ("To make the weights sum to 1.", False, "The softmax already does that."),
            ("To keep the scores' variance near 1 as d_k grows.", True,
             "q·k of random unit-variance vectors has variance d_k; dividing by √d_k undoes it."),
        ]),
    ])

Text may use ``$…$`` maths (rendered by MathJax on the site and in JupyterLab), ``**bold**``,
``*italics*`` and ```code```; everything else is escaped. Write TeX in raw strings
(``r"$\alpha$"``): a control character such as the tab of ``"$\tau$"`` is refused. In a chapter, put the call in a code cell tagged
``remove-input`` under ``## Check your understanding``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Quiz", "quiz"]

_LETTERS = "ABCDEFGH"


def _inline(text: str) -> str:
    """Escape ``text`` for HTML, keeping $maths$ (as \\(…\\)), **bold** and `code`."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"quiz text must be a non-empty string, got {text!r}")
    control = sorted({repr(c) for c in text if ord(c) < 32 and c != "\n"})
    if control:
        raise ValueError(f"quiz text {text[:40]!r}… contains control characters {control}: "
                         "write TeX in a raw string, r\"$\\alpha$\", or double the "
                         "backslashes (\"\\t\" in \"$\\tau$\" is a tab)")
    parts = re.split(r"(\$[^$]+\$|`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(r"\(" + html.escape(part[1:-1], quote=False) + r"\)")
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append("<code>" + html.escape(part[1:-1]) + "</code>")
        else:
            escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(part, quote=False))
            out.append(re.sub(r"(?<![*\w])\*(?![\s*])(.+?)(?<![\s*])\*(?![*\w])", r"<i>\1</i>",
                              escaped))
    return "".join(out)


@dataclass(frozen=True)
class Quiz:
    """Questions as ``(prompt, [(choice, is_correct, why), ...])``; see :func:`quiz`."""

    questions: tuple

    def _repr_html_(self) -> str:
        # mathjax_process: the site's MathJax skips cell outputs unless told to typeset them
        rows = ['<div class="attnbook-quiz mathjax_process">']
        key = []
        for n, (prompt, choices) in enumerate(self.questions, start=1):
            rows.append(f'<p class="quiz-question"><b>{n}.</b> {_inline(prompt)}</p>')
            for letter, (choice, correct, why) in zip(_LETTERS, choices):
                verdict = "Right." if correct else "Not quite."
                rows.append(
                    f'<details class="quiz-choice" data-correct="{str(correct).lower()}">'
                    f"<summary>{letter}. {_inline(choice)}</summary>"
                    f'<p class="quiz-feedback"><b>{verdict}</b> {_inline(why)}</p></details>')
                if correct:
                    key.append(f"{n}: {letter}")
        rows.append('<details class="quiz-key"><summary>Answer key</summary><p>'
                    + "; ".join(key) + "</p></details></div>")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"Quiz({len(self.questions)} questions; pick an answer to see why it is right " \
               "or not)"


def quiz(questions: Sequence) -> Quiz:
    """A check-your-understanding quiz: ``[(prompt, [(choice, is_correct, why), ...]), ...]``.

    Each question needs 2–8 choices, exactly one of them correct, and every choice a reason
    (``why``) that explains it — feedback teaches, so "Wrong." alone is not accepted.
    """
    if isinstance(questions, (str, bytes)) or not isinstance(questions, Sequence):
        raise TypeError(f"questions must be a list of (prompt, choices), got {type(questions)}")
    if not questions:
        raise ValueError("questions is empty: a quiz needs at least one question")
    checked = []
    for n, q in enumerate(questions, start=1):
        if not (isinstance(q, (tuple, list)) and len(q) == 2):
            raise TypeError(f"question {n} must be (prompt, choices), got {q!r}")
        prompt, choices = q
        _inline(prompt)
        if not isinstance(choices, Sequence) or not 2 <= len(choices) <= len(_LETTERS):
            raise ValueError(f"question {n} needs 2 to {len(_LETTERS)} choices")
        rows = []
        for c in choices:
            if not (isinstance(c, (tuple, list)) and len(c) == 3 and isinstance(c[1], bool)):
                raise TypeError(f"question {n}: each choice is (text, is_correct, why), got {c!r}")
            _inline(c[0]), _inline(c[2])
            rows.append(tuple(c))
        n_correct = sum(c[1] for c in rows)
        if n_correct != 1:
            raise ValueError(f"question {n} has {n_correct} correct choices; it needs exactly 1")
        checked.append((prompt, tuple(rows)))
    return Quiz(tuple(checked))
