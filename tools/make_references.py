"""Write book/references.md from book/references.bib: exactly the works the book cites.

    python tools/make_references.py          # rewrite book/references.md
    python tools/make_references.py --check  # exit 1 if it is not current (run by the tests)

A citation is a Markdown link whose target is ``#`` + a BibTeX key, e.g.
``[Vaswani et al. (2017)](#vaswani2017)`` or ``([Vaswani et al., 2017](#vaswani2017))``: it
reads as plain text in JupyterLab and Colab, and on the website it links to the entry of that key
on the references page (each entry carries the key as its MyST target). The list is in one
author-year style, sorted by first author's surname and year. ``cited_keys`` and ``parse_bib``
are used by tests/test_notebook_style.py.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "book" / "references.bib"
OUT = ROOT / "book" / "references.md"
ACCENTS = {"\"": "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
           "c": "\u0327"}
CITE = re.compile(r"\]\(#([a-z]+\d{4}[a-z0-9]*)\)")

HEADER = """# References

The papers and books the chapters cite, each once, in author–year order. The symbols they use are
mapped onto this book's on the [notation page](notation.md).

"""


def parse_bib(text: str) -> dict[str, dict[str, str]]:
    """Entries of a BibTeX file: key -> fields (with ``type``); braces kept in values."""
    entries = {}
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        kind, key, i = m.group(1).lower(), m.group(2), m.end()
        depth, j = 1, i
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        body = text[i:j - 1]
        fields = {"type": kind}
        for f in re.finditer(r"(\w+)\s*=\s*", body):
            k, start = f.group(1).lower(), f.end()
            if body[start] == "{":
                d, e = 1, start + 1
                while d:
                    d += {"{": 1, "}": -1}.get(body[e], 0)
                    e += 1
                fields[k] = body[start + 1:e - 1]
            else:
                fields[k] = re.match(r"[^,\n]*", body[start:]).group(0).strip()
        entries[key] = fields
    return entries


def _plain(value: str) -> str:
    value = value.replace(r"{\L}", "Ł").replace(r"\L{}", "Ł").replace(r"\&", "&")
    value = re.sub(r"\{?\\([\"'`^~c])\{?(\w)\}?\}?",
                   lambda m: unicodedata.normalize("NFC", m.group(2) + ACCENTS[m.group(1)]),
                   value)
    value = value.replace("---", "—").replace("--", "–")
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()


def _authors(field: str) -> list[tuple[str, str]]:
    out = []
    for name in re.split(r"\s+and\s+", _plain(field)):
        if "," in name:
            last, first = (s.strip() for s in name.split(",", 1))
        else:
            parts = name.split()
            last, first = parts[-1], " ".join(parts[:-1])
        out.append((last, first))
    return out


def _initials(first: str) -> str:
    return " ".join(p[0] + "." for p in re.split(r"[\s]+", first) if p and p[0].isalpha())


def format_entry(key: str, e: dict[str, str]) -> str:
    names = _authors(e["author"])
    people = [f"{last}, {_initials(first)}".strip().rstrip(",") for last, first in names]
    if len(people) > 1:
        people_text = ", ".join(people[:-1]) + ", & " + people[-1]
    else:
        people_text = people[0]
    title = _plain(e["title"])
    where = _plain(e.get("booktitle") or e.get("journal") or e.get("publisher")
                   or e.get("howpublished") or e.get("note") or "")
    parts = [f"{people_text} ({e['year']}). *{title}*."]
    if where:
        parts.append(f"{where}" + (f", {e['pages'].replace('--', '–')}" if "pages" in e else "")
                     + ".")
    if "url" in e:
        parts.append(f"<{e['url']}>")
    return f"({key})=\n" + " ".join(parts)


def _sources() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        p for p in (ROOT / "book").glob("*.md") if p != OUT)


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text()


def cited_keys(known: set[str]) -> dict[str, list[str]]:
    """BibTeX keys cited (as ``](#key)`` links) per source file, restricted to ``known`` keys."""
    out = {}
    for p in _sources():
        keys = [k for k in CITE.findall(_text(p)) if k in known]
        if keys:
            out[str(p.relative_to(ROOT))] = keys
    return out


def render() -> str:
    entries = parse_bib(BIB.read_text())
    cited = {k for keys in cited_keys(set(entries)).values() for k in keys}
    order = sorted(cited, key=lambda k: (_authors(entries[k]["author"])[0][0].lower(),
                                         entries[k]["year"], k))
    return HEADER + "\n\n".join(format_entry(k, entries[k]) for k in order) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUT.read_text() != text:
            print("book/references.md is not current: run `python tools/make_references.py`")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
