"""attnbook: the shared helpers of the attnbook book on attention in NLP models.

Every formula the book uses is implemented once here, named after the maths:

* :mod:`attnbook.attention` — ``softmax``, ``scaled_dot_product_attention``, ``entropy``,
  masks, ``MultiHeadAttention``;
* :mod:`attnbook.positional` — positional encodings;
* :mod:`attnbook.plotting` — ``heatmap`` (one matrix) and ``heatmaps`` (a grid of heads);
* :mod:`attnbook.widgets` — ``interactive_figure``, figures whose sliders work on the static site,
  and ``live_figure`` for inputs only a live kernel can answer (a text box).
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
from .plotting import Heatmap, heatmap, heatmaps
from .positional import sinusoidal_positional_encoding
from .widgets import (
    Buttons,
    Dropdown,
    InteractiveFigure,
    LiveFigure,
    Slider,
    interactive_figure,
    live_figure,
)

__version__ = "0.1.0"

__all__ = [
    "MultiHeadAttention",
    "causal_mask",
    "entropy",
    "merge_heads",
    "padding_mask",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
    "sinusoidal_positional_encoding",
    "Heatmap",
    "heatmap",
    "heatmaps",
    "Buttons",
    "Dropdown",
    "InteractiveFigure",
    "Slider",
    "interactive_figure",
    "LiveFigure",
    "live_figure",
]
