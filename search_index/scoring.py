"""BM25F as the catalog computes it: one definition for the engine and the tests' reference.

Per stem and text field: ``boost x idf x tf (K1 + 1) / (tf + K1 (1 - B + B len / avg))`` with
``idf = ln(N / (df + 1)) + 1`` (Whoosh's BM25F formula), where N is the number of documents in
the index, df the number of them holding the stem in that field, ``len`` the field's exact
length in words and ``avg`` its mean over the same N documents. A stem's score is the sum over
the fields in ``TEXT_FIELDS`` order, a query's the sum over its terms in query order, in
float64. The same arithmetic in the same order gives the same bits, so ties are real ties.
"""

from __future__ import annotations

import math

import numpy as np

K1, B = 1.2, 0.75


def idf(n_docs: int, df: int) -> float:
    return math.log(n_docs / (df + 1)) + 1.0


def average(total_length: int, n_docs: int) -> float:
    return total_length / n_docs if n_docs and total_length else 1.0


def contributions(
    tf: np.ndarray, lengths: np.ndarray, avg: float, term_idf: float, boost: float
) -> np.ndarray:
    """One stem's BM25 contribution in one field, for documents with these frequencies and
    field lengths (float64 arrays)."""
    return boost * term_idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / avg))
