"""Attention → durations: focus rate, best head, monotonic path, exact sums."""

import numpy as np
import pytest
import torch

from espnet2_vc.durations.attention import attention_durations, best_head, focus_rates, monotonic_path


def one_hot_attention(durations: np.ndarray) -> torch.Tensor:
    """(sum(d), len(d)): target step n attends only to the source frame whose span holds it."""
    index = np.repeat(np.arange(len(durations)), durations)
    att = torch.zeros(len(index), len(durations))
    att[torch.arange(len(index)), torch.from_numpy(index)] = 1.0
    return att


@pytest.mark.parametrize("n", [1, 5, 40])
def test_focus_rate_of_a_perfect_diagonal_is_one(n):
    assert float(focus_rates(torch.eye(n))) == pytest.approx(1.0)
    staircase = one_hot_attention(np.array([2, 0, 3, 1, 1]))  # one-hot rows that are not square
    assert float(focus_rates(staircase)) == pytest.approx(1.0)


def test_focus_rate_of_uniform_attention_is_one_over_the_sources():
    assert float(focus_rates(torch.full((7, 4), 0.25))) == pytest.approx(0.25)


@pytest.mark.parametrize("seed", range(5))
def test_durations_from_a_synthetic_attention_are_exact(seed):
    rng = np.random.default_rng(seed)
    durations = rng.integers(0, 5, size=30)
    durations[rng.integers(0, 30)] += 1  # at least one step
    # Soft rows peaked at the right source frame: a blurred version of the one-hot attention.
    logits = 6.0 * one_hot_attention(durations) + 0.5 * torch.from_numpy(rng.standard_normal((durations.sum(), 30)))
    att = torch.softmax(logits.float(), dim=-1)
    got = attention_durations(att)
    np.testing.assert_array_equal(got, durations)
    assert got.sum() == att.size(0) and got.size == att.size(1)


def test_path_is_monotonic_where_the_argmax_jumps_back():
    durations = np.array([3, 3, 3, 3])
    att = 0.9 * one_hot_attention(durations) + 0.1 / 4
    att[7] = torch.tensor([0.7, 0.1, 0.1, 0.1])  # step 7 belongs to frame 2 but its argmax is frame 0
    path = monotonic_path(att.numpy())
    assert np.all(np.diff(path) >= 0)
    assert path[7] == 2  # the jump back is smoothed over, not followed
    got = attention_durations(att)
    assert got.sum() == 12 and got.tolist() == [3, 3, 3, 3]


def test_best_head_is_the_most_focused():
    sharp = one_hot_attention(np.array([2, 2, 2]))
    blurred = torch.softmax(torch.randn(2, 3, 6, 3), dim=-1)
    att = blurred.clone()
    att[1, 2] = sharp
    layer, head, rate = best_head(att)
    assert (layer, head) == (1, 2) and rate == pytest.approx(1.0)


def test_best_head_among_candidates_ignores_a_focused_head_outside_them():
    att = torch.softmax(torch.randn(3, 2, 6, 3), dim=-1)
    att[0, 1] = one_hot_attention(np.array([6, 0, 0]))  # everything on one frame: focus 1, no alignment
    att[2, 0] = 0.8 * one_hot_attention(np.array([2, 2, 2])) + 0.2 / 3
    assert best_head(att)[:2] == (0, 1)
    assert best_head(att, [(-1, 0), (-1, 1), (1, 0)])[:2] == (2, 0)
