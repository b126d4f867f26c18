"""Durations from the encoder-decoder attention of an autoregressive teacher (NARS2S, FastSpeech).

One attention matrix ``(N_tgt, N_src)`` per (layer, head) of a teacher-forced decoding. The head whose rows are
the most peaked (the highest *focus rate*, Ren et al., FastSpeech 2019) is taken; every target step is given to
one source frame by a monotonic path through it (the per-row argmax when that is already monotonic), and a
source frame's duration is the number of target steps given to it. The durations therefore sum exactly to
``N_tgt`` (the reduced target length) and there is one per reduced source frame.
"""

from typing import Optional, Sequence, Tuple

import numpy as np
import torch


def focus_rates(att: torch.Tensor) -> torch.Tensor:
    """Mean over target steps of each row's largest weight.

    Args:
        att: Attention weights (..., N_tgt, N_src), rows summing to 1.

    Returns:
        Focus rates (...,) in (0, 1]; 1 exactly when every row puts all its weight on one source frame.
    """
    return att.max(dim=-1).values.mean(dim=-1)


def best_head(
    att: torch.Tensor, candidates: Optional[Sequence[Tuple[int, int]]] = None
) -> Tuple[int, int, float]:
    """The (layer, head) with the highest focus rate and that rate.

    Args:
        att: Attention weights of one utterance (L, H, N_tgt, N_src).
        candidates: (layer, head) pairs to choose from (negative layers count from the last); None: all.
    """
    rates = focus_rates(att)
    n_layers, n_heads = rates.shape
    if candidates is None:
        candidates = [(layer, head) for layer in range(n_layers) for head in range(n_heads)]
    pairs = [(layer % n_layers, head) for layer, head in candidates]
    layer, head = max(pairs, key=lambda pair: float(rates[pair]))
    return layer, head, float(rates[layer, head])


def monotonic_path(att: np.ndarray) -> np.ndarray:
    """The non-decreasing source index per target step that maximizes the summed log attention.

    Args:
        att: Attention weights (N_tgt, N_src).

    Returns:
        Source frame per target step (N_tgt,), non-decreasing; equal to the per-row argmax whenever that is
        non-decreasing (it is then the unconstrained optimum).
    """
    logp = np.log(np.asarray(att, dtype=np.float64) + 1e-12)
    n_tgt, n_src = logp.shape
    index = np.arange(n_src)
    back = np.zeros((n_tgt, n_src), dtype=np.int64)
    score = logp[0]
    for n in range(1, n_tgt):
        best = np.maximum.accumulate(score)  # best score of a path ending at or before each source frame
        back[n] = np.maximum.accumulate(np.where(score == best, index, 0))  # where that best path ends
        score = best + logp[n]
    path = np.empty(n_tgt, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for n in range(n_tgt - 1, 0, -1):
        path[n - 1] = back[n, path[n]]
    return path


def attention_durations(att: torch.Tensor) -> np.ndarray:
    """Target steps per source frame (N_src,) from one attention matrix (N_tgt, N_src); sums to N_tgt."""
    att = att.detach().float().cpu().numpy()
    return np.bincount(monotonic_path(att), minlength=att.shape[1]).astype(np.int64)
