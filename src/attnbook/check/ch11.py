"""Answer checkers for chapter 11's exercises (``ab.check.ex_11_k``).

Exercise 11.1 is attention pooling by hand (Yang et al.'s learned query, no scaling);
exercise 11.3 erases the word with the highest pooling weight in the shipped attention model
(:mod:`attnbook.sentimentmodel`) and counts how many predictions change.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_11_1", "ex_11_3", "EX_11_1", "erase_top_word"]

# Exercise 11.1: "the film was dull" with a 2-d learned query, keys and values.
EX_11_1 = {
    "words": ["the", "film", "was", "dull"],
    "u": np.array([1.0, 2.0]),
    "K": np.array([[0.0, 0.0], [0.5, 0.25], [0.0, 0.0], [1.0, 1.0]]),
    "H": np.array([[0.1, 0.0], [0.4, 0.2], [-0.2, 0.1], [-2.0, 1.0]]),
}


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max())
    return e / e.sum()


def ex_11_1(answer):
    """Exercise 11.1: the sentence vector (2 numbers) of attention pooling over four words."""
    u, K, H = EX_11_1["u"], EX_11_1["K"], EX_11_1["H"]
    s = K @ u
    return compare_array(answer, _softmax(s) @ H, rtol=1e-3, atol=2e-3,
                         what="your sentence vector",
                         correct=f"Correct: \"dull\" takes {_softmax(s)[3]:.0%} of the "
                                 "weight, so the sentence vector lies close to its value.",
                         slips={
        "Those are the four weights; the exercise asks for the sentence vector, "
        "the weighted sum of the values (2 numbers).": lambda a: a.shape == (4,),
        "You divided the scores by √d = √2: attention pooling uses the plain dot product "
        "(scale=1).": _softmax(s / np.sqrt(2)) @ H,
        "That is mean pooling, every weight 1/4. Score each key against u first.":
            H.mean(axis=0),
        "That is the value of \"dull\" alone (a hard arg-max); the softmax leaves the other "
        "words some weight.": H[3],
        "You mixed the keys. The weights come from the keys, but the output mixes the "
        "values H.": _softmax(s) @ K,
        "Did you skip the exponential? Dividing the scores by their sum is not a softmax.":
            (s / s.sum()) @ H,
    })


@lru_cache(maxsize=1)
def erase_top_word(n: int = 1000) -> dict[str, float]:
    """Exercise 11.3's numbers: on the first ``n`` test sentences, the fraction of the shipped
    attention model's labels that change when its highest pooling weight is set to 0 and the
    other weights renormalised (``"renormalised"``), or not (``"not renormalised"``)."""
    from .. import sentiment as S
    from ..sentimentmodel import SentimentModel

    model = SentimentModel.load("attention")
    test = S.splits()["test"][:n]
    run = model.run(test, keep_states=True)                  # the encoder runs once
    weights = run.pool_weights.copy()                        # (n, 1, L)
    top = weights[:, 0].argmax(axis=-1)
    weights[np.arange(n), 0, top] = 0.0
    raw = model.probabilities_with_weights(run, weights).argmax(-1)
    weights /= weights.sum(axis=-1, keepdims=True)
    renorm = model.probabilities_with_weights(run, weights).argmax(-1)
    return {"renormalised": float((renorm != run.labels).mean()),
            "not renormalised": float((raw != run.labels).mean())}


def ex_11_3(answer):
    """Exercise 11.3: the fraction of labels that change when the top-weighted word is erased."""
    if answer is None:
        return compare_number(None, 0.0)
    numbers = erase_top_word()
    expected = numbers["renormalised"]
    return compare_number(answer, expected, rtol=0.0, atol=0.0015, what="your fraction",
                          correct=f"Correct: {expected:.1%} of the labels change.",
                          slips={
        "That is a percentage; give the fraction (between 0 and 1).":
            lambda a: abs(float(a) - 100 * expected) < 0.15,
        "That is the fraction that stays the same; the exercise asks for the fraction "
        "that changes.": 1 - expected,
        "Renormalise the remaining weights so that they sum to 1 again.":
            numbers["not renormalised"],
    })
