"""NARS2S loss: L1 on mel before/after the postnet, MSE on log durations, pitch and energy."""

from typing import Dict, Optional, Tuple

import torch
from espnet.nets.pytorch_backend.fastspeech.duration_predictor import DurationPredictorLoss
from espnet.nets.pytorch_backend.nets_utils import make_pad_mask


def _masked_mean(loss: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.to(loss.dtype)
    return (loss * mask).sum() / mask.sum().clamp(min=1.0)


class NARS2SLoss(torch.nn.Module):
    """Masked losses over valid frames only (padding and the reduction tail are ignored).

    The pitch and energy losses also ignore source frames of duration 0: their target value is undefined.
    """

    def __init__(self) -> None:
        super().__init__()
        self.duration_loss = DurationPredictorLoss(reduction="none")

    def forward(
        self,
        after_outs: torch.Tensor,
        before_outs: torch.Tensor,
        ys: torch.Tensor,
        olens: torch.Tensor,
        d_outs: torch.Tensor,
        ds: torch.Tensor,
        slens: torch.Tensor,
        p_outs: Optional[torch.Tensor] = None,
        ps: Optional[torch.Tensor] = None,
        e_outs: Optional[torch.Tensor] = None,
        es: Optional[torch.Tensor] = None,
    ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
        """Compute the losses.

        Args:
            after_outs: Outputs after the postnet (B, T, odim), T ≥ max(olens).
            before_outs: Outputs before the postnet (B, T, odim).
            ys: Targets (B, T, odim).
            olens: Valid target frames (B,).
            d_outs: Predicted log durations (B, N).
            ds: Ground-truth durations (B, N).
            slens: Valid (reduced) source frames (B,).
            p_outs: Predicted pitch (B, N, 1).
            ps: Target pitch per source frame (B, N, 1).
            e_outs: Predicted energy (B, N, 1).
            es: Target energy per source frame (B, N, 1).

        Returns:
            The loss terms (``l1_loss``, ``duration_loss`` and, when given, ``pitch_loss``, ``energy_loss``),
            and the mel L1 before and after the postnet apart (``before_postnet_l1``, ``after_postnet_l1``:
            reported, their sum is ``l1_loss``).
        """
        t = ys.size(1)
        out_mask = (~make_pad_mask(olens, maxlen=t)).to(ys.device).unsqueeze(-1)
        parts = {name: _masked_mean((outs[:, :t] - ys).abs(), out_mask.expand_as(ys))
                 for name, outs in (("before_postnet_l1", before_outs), ("after_postnet_l1", after_outs))}  # fmt: skip
        losses = {"l1_loss": parts["before_postnet_l1"] + parts["after_postnet_l1"]}
        src_mask = (~make_pad_mask(slens, maxlen=ds.size(1))).to(ds.device)
        losses["duration_loss"] = _masked_mean(self.duration_loss(d_outs, ds), src_mask)
        # A source frame that no target frame is aligned to (duration 0) has no target pitch / energy.
        spoken = src_mask & (ds > 0)
        for name, pred, ref in (("pitch_loss", p_outs, ps), ("energy_loss", e_outs, es)):
            if pred is not None:
                losses[name] = _masked_mean((pred - ref).pow(2).squeeze(-1), spoken)
        return losses, parts
