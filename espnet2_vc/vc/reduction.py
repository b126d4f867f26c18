"""Reduction-factor helpers shared by networks, duration tools and tests.

With reduction factor ``r`` a source sequence of ``T`` frames becomes ``T // r`` reduced frames (the tail
is dropped) and a target sequence becomes ``ceil(T / r)`` reduced frames (the tail is padded; outputs
are trimmed back to ``T``). See doc/data.md.
"""

import torch

from espnet2_vc.utils.frames import reduced_source_length, reduced_target_length


def reduced_source_lengths(lengths: torch.Tensor, r: int) -> torch.Tensor:
    """Reduced source lengths ``T // r`` (B,) (:mod:`espnet2_vc.utils.frames`)."""
    return reduced_source_length(lengths, r)


def reduced_target_lengths(lengths: torch.Tensor, r: int) -> torch.Tensor:
    """Reduced target lengths ``ceil(T / r)`` (B,) (:mod:`espnet2_vc.utils.frames`)."""
    return reduced_target_length(lengths, r)


def stack_frames(x: torch.Tensor, r: int, pad: bool) -> torch.Tensor:
    """Tacotron-style reshape (B, T, D) -> (B, T', D * r).

    Args:
        x: Padded frames (B, T, D).
        r: Reduction factor.
        pad: Pad with zeros to ``ceil(T / r) * r`` frames (targets) instead of trimming (sources).

    Returns:
        Stacked frames (B, T', D * r).
    """
    b, t, d = x.shape
    if pad:
        n = (t + r - 1) // r
        x = torch.nn.functional.pad(x, (0, 0, 0, n * r - t))
    else:
        n = t // r
        x = x[:, : n * r]
    return x.reshape(b, n, d * r)


def pool_frames(x: torch.Tensor, lengths: torch.Tensor, r: int, pad: bool) -> torch.Tensor:
    """Mean over each group of ``r`` frames, counting only frames inside ``lengths``.

    Args:
        x: Padded values (B, T, C).
        lengths: Valid frames (B,).
        r: Reduction factor.
        pad: Keep a partial last group (targets) instead of dropping it (sources).

    Returns:
        Pooled values (B, T', C); groups with no valid frame are 0.
    """
    if r == 1:
        return x
    b, t, c = x.shape
    mask = (torch.arange(t, device=x.device)[None, :] < lengths[:, None]).to(x.dtype)
    summed = stack_frames(x * mask[..., None], r, pad).view(b, -1, r, c).sum(2)
    count = stack_frames(mask[..., None], r, pad).sum(-1, keepdim=True)
    return summed / count.clamp(min=1.0)


def average_by_duration(x: torch.Tensor, durations: torch.Tensor) -> torch.Tensor:
    """Average target-side values over each source frame's span.

    Args:
        x: Values per (reduced) target frame (B, N_tgt, C).
        durations: Target frames per source frame (B, N_src); spans are consecutive.

    Returns:
        Averaged values (B, N_src, C); 0 where the duration is 0.
    """
    b, _, c = x.shape
    cum = torch.nn.functional.pad(torch.cumsum(x, dim=1), (0, 0, 1, 0))  # (B, N_tgt + 1, C)
    end = torch.cumsum(durations, dim=1).clamp(max=cum.size(1) - 1)
    start = (end - durations).clamp(min=0)
    gather = lambda idx: torch.gather(cum, 1, idx.long()[..., None].expand(b, -1, c))  # noqa: E731
    total = gather(end) - gather(start)
    return total / durations[..., None].clamp(min=1).to(x.dtype)
