"""attnbook: the shared helpers of the attnbook book on attention in NLP models.

Quick start — the attention of a pretrained transformer on your own sentence, in five calls::

    import attnbook as ab
    model = ab.load_minilm()                  # all-MiniLM-L6-v2: 6 layers x 12 heads
    out = model("The cat sat on the mat.")    # tokenise and run your sentence
    tokens, w = out.tokens[0], out.attention[0]   # w: (layers, heads, L, L)
    ab.heatmap(w[2, 5], x_labels=tokens, y_labels=tokens, title="layer 3, head 6")

Then ``ab.heatmaps(w[2], x_labels=tokens, y_labels=tokens)`` shows all 12 heads of layer 3 in a
grid, and ``ab.diagrams.token_lines(w[2, 5], tokens)`` draws one head as lines between tokens.
Rows are queries (the token looking), columns keys (the token looked at); each row sums to 1.
From scratch, one query: ``ab.softmax(K @ q)`` are the weights, and
``ab.diagrams.lookup_flow(q, K, V)`` draws the whole lookup. ``help(ab.heatmap)`` etc. for more.

Every formula the book uses is implemented once here, named after the maths:

* :mod:`attnbook.attention` — ``softmax``, ``scaled_dot_product_attention``, ``entropy``,
  masks, ``MultiHeadAttention``;
* :mod:`attnbook.positional` — positional encodings;
* :mod:`attnbook.embeddings` — the toy embedding table with named features
  (``toy_embeddings``), one-hot positions and named projections (``feature_projection``);
* :mod:`attnbook.heads` — attention heads built by hand (previous token, same kind, first
  token) and ``mha_from_heads``;
* :mod:`attnbook.cost` — flops and memory of attention (``attention_cost``), ``time_attention``;
* :mod:`attnbook.scores` — score functions (dot, scaled dot, general, additive, cosine), selected
  by name with ``score``, and their costs;
* :mod:`attnbook.seq2seq` — one decoder step of an encoder–decoder with attention (Luong,
  Bahdanau);
* :mod:`attnbook.pretrained` — a real pretrained transformer (all-MiniLM-L6-v2) read from its
  safetensors file, tokenised and run with ``MultiHeadAttention``: ``load_minilm``;
* :mod:`attnbook.nn` — layers with hand-written backward passes (linear, embedding, layer norm,
  softmax, attention, multi-head attention, cross-entropy), Adam and gradient checks;
* :mod:`attnbook.dates` and :mod:`attnbook.datemodel` — chapter 8's data (dates in many formats)
  and the small transformer trained on it: ``DateModel``;
* :mod:`attnbook.sentiment` and :mod:`attnbook.sentimentmodel` — chapter 11's reviews with
  known deciding words and five sentence classifiers (mean, max, first-token and attention
  pooling): ``sentimentmodel.load_models``;
* :mod:`attnbook.babi` and :mod:`attnbook.memnet` — chapter 12's bAbI-style stories with known
  supporting facts and the end-to-end memory networks trained on them: ``memnet.MemNet``;
* :mod:`attnbook.plotting` — ``heatmap`` (one matrix) and ``heatmaps`` (a grid of heads),
  and the figure house style (column width, high-density inline PNGs, colour scales);
* :mod:`attnbook.diagrams` — process diagrams drawn from the numbers: lookup flow,
  encoder-decoder, token lines, block diagrams with shapes, KV cache, tiling;
* :mod:`attnbook.widgets` — ``interactive_figure``, figures whose sliders work on the static site,
  and ``live_figure`` for inputs only a live kernel can answer (a text box).
* :mod:`attnbook.scale` — attention at scale: ``online_softmax``, ``tiled_attention``
  (FlashAttention-style), ``KVCache`` and cached decoding, sliding-window and linear
  attention.
"""

from .attention import (
    MultiHeadAttention,
    causal_mask,
    entropy,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)
from .plotting import Heatmap, HeatmapGrid, contribution_bars, heatmap, heatmaps
from .scores import (
    SCORE_FUNCTIONS,
    ScoreCost,
    ScoreFunction,
    additive_score,
    cosine_score,
    dot_product_variance,
    dot_score,
    general_score,
    init_score_params,
    scaled_dot_score,
    score,
    score_cost,
)
from .seq2seq import (
    DecoderStep,
    attentional_hidden_state,
    bahdanau_step,
    luong_step,
    output_distribution,
    rnn_cell,
)
from .positional import (
    sinusoidal_frequencies,
    sinusoidal_positional_encoding,
    sinusoidal_shift_matrix,
)
from .embeddings import (
    EmbeddingTable,
    feature_projection,
    one_hot_positions,
    parse_embedding_table,
    position_names,
    toy_embeddings,
)
from .heads import (
    Head,
    first_token_head,
    heads_of,
    mha_from_heads,
    previous_token_head,
    same_feature_head,
)
from .cost import AttentionCost, attention_cost, time_attention
from .pretrained import (
    EncoderLayer,
    EncoderOutput,
    MiniLM,
    WordPieceTokenizer,
    attention_to,
    erf,
    gelu,
    load_minilm,
    model_dir,
    offset_attention,
    read_safetensors,
)
from .widgets import (
    Buttons,
    Dropdown,
    InteractiveFigure,
    LiveFigure,
    Slider,
    interactive_figure,
    live_figure,
)
from .scale import (
    CachedSelfAttention,
    KVCache,
    TiledAttentionStep,
    attention_tiles,
    decode_self_attention,
    linear_attention,
    online_normalizer,
    online_softmax,
    benchmark_results,
    peak_memory,
    power_law_exponent,
    sliding_window_mask,
    tiled_attention,
    tiled_attention_steps,
)

from . import check, dates, datemodel, nn
from . import diagrams
from . import sentiment, sentimentmodel
from . import babi, memnet
from .quiz import Quiz, quiz
from .datemodel import DateModel

__version__ = "0.1.0"

__all__ = [
    # exercises: answer checkers (ab.check.ex_N_k) and quizzes
    "check",
    "Quiz",
    "quiz",
    "MultiHeadAttention",
    "causal_mask",
    "entropy",
    "merge_heads",
    "padding_mask",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
    "sinusoidal_positional_encoding",
    "sinusoidal_shift_matrix",
    "sinusoidal_frequencies",
    "EmbeddingTable",
    "feature_projection",
    "one_hot_positions",
    "parse_embedding_table",
    "position_names",
    "toy_embeddings",
    "Head",
    "first_token_head",
    "heads_of",
    "mha_from_heads",
    "previous_token_head",
    "same_feature_head",
    "AttentionCost",
    "attention_cost",
    "time_attention",
    # pretrained (chapter 9)
    "EncoderLayer",
    "EncoderOutput",
    "MiniLM",
    "WordPieceTokenizer",
    "attention_to",
    "erf",
    "gelu",
    "load_minilm",
    "model_dir",
    "offset_attention",
    "read_safetensors",
    "Heatmap",
    "HeatmapGrid",
    "heatmap",
    "heatmaps",
    "contribution_bars",
    # scores
    "SCORE_FUNCTIONS",
    "ScoreCost",
    "ScoreFunction",
    "additive_score",
    "cosine_score",
    "dot_product_variance",
    "dot_score",
    "general_score",
    "init_score_params",
    "scaled_dot_score",
    "score",
    "score_cost",
    # seq2seq
    "DecoderStep",
    "attentional_hidden_state",
    "bahdanau_step",
    "luong_step",
    "output_distribution",
    "rnn_cell",
    "Buttons",
    "Dropdown",
    "InteractiveFigure",
    "Slider",
    "interactive_figure",
    "LiveFigure",
    "live_figure",
    # scale
    "CachedSelfAttention",
    "KVCache",
    "TiledAttentionStep",
    "attention_tiles",
    "decode_self_attention",
    "linear_attention",
    "online_normalizer",
    "online_softmax",
    "benchmark_results",
    "peak_memory",
    "power_law_exponent",
    "sliding_window_mask",
    "tiled_attention",
    "tiled_attention_steps",
    # trained model (chapter 8)
    "dates",
    "datemodel",
    "nn",
    "DateModel",
    # text classification (chapter 11)
    "sentiment",
    "sentimentmodel",
    # question answering (chapter 12)
    "babi",
    "memnet",
    # process diagrams (every chapter)
    "diagrams",
]
