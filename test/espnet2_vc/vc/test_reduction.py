import pytest
import torch

from espnet2_vc.vc.reduction import (
    average_by_duration,
    pool_frames,
    reduced_source_lengths,
    reduced_target_lengths,
    stack_frames,
)


@pytest.mark.parametrize("t", [1, 5, 6, 7])
@pytest.mark.parametrize("r", [1, 2, 3])
def test_stack_frames_lengths(t, r):
    x = torch.randn(2, t, 4)
    assert stack_frames(x, r, pad=False).shape == (2, t // r, 4 * r)
    padded = stack_frames(x, r, pad=True)
    assert padded.shape == (2, -(-t // r), 4 * r)
    # Tacotron-style: frame k of group n sits at columns [k*D, (k+1)*D).
    assert torch.equal(padded.view(2, -1, 4)[:, :t], x)


def test_reduced_lengths():
    lengths = torch.tensor([7, 6, 1])
    assert reduced_source_lengths(lengths, 3).tolist() == [2, 2, 0]
    assert reduced_target_lengths(lengths, 3).tolist() == [3, 2, 1]


def test_pool_frames_ignores_padding():
    x = torch.tensor([[1.0, 3.0, 5.0, 100.0], [2.0, 4.0, 6.0, 8.0]]).unsqueeze(-1)
    pooled = pool_frames(x, torch.tensor([3, 4]), 2, pad=True)
    assert pooled.squeeze(-1).tolist() == [[2.0, 5.0], [3.0, 7.0]]
    trimmed = pool_frames(x[:, :3], torch.tensor([3, 3]), 2, pad=False)
    assert trimmed.squeeze(-1).tolist() == [[2.0], [3.0]]


def test_average_by_duration():
    x = torch.arange(6, dtype=torch.float).view(1, 6, 1)
    d = torch.tensor([[2, 0, 3, 1]])
    out = average_by_duration(x, d).squeeze(-1)
    assert out[0].tolist() == [0.5, 0.0, 3.0, 5.0]


def test_average_by_duration_matches_loop():
    torch.manual_seed(0)
    x = torch.randn(3, 20, 2)
    d = torch.randint(0, 4, (3, 8))
    d[:, -1] += 20 - d.sum(1).clamp(max=20)
    d = torch.where(d.cumsum(1) > 20, torch.zeros_like(d), d)
    out = average_by_duration(x, d)
    for b in range(3):
        start = 0
        for n, dur in enumerate(d[b].tolist()):
            want = x[b, start : start + dur].mean(0) if dur else torch.zeros(2)
            assert torch.allclose(out[b, n], want, atol=1e-5)
            start += dur


@pytest.mark.parametrize("r", [1, 2, 3, 4])
@pytest.mark.parametrize("t", [1, 5, 8, 11])
def test_the_network_and_the_aligner_pool_frames_the_same_way(r, t):
    """One contract: torch ``pool_frames`` (training) and numpy ``reduce_frames`` (stage 4) agree, tails included."""
    import numpy as np

    from espnet2_vc.durations.features import reduce_frames

    x = torch.randn(1, t, 3, dtype=torch.float64)
    for pad in (False, True):
        ours = pool_frames(x, torch.tensor([t]), r, pad=pad)[0].numpy()
        theirs = reduce_frames(x[0].numpy(), r, pad=pad)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
        assert len(theirs) == (-(-t // r) if pad else t // r)
