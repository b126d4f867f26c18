"""Variance converters of NARS2S: predict target pitch / energy per source frame and embed them."""

from typing import Optional, Tuple

import torch
from espnet2.tts.fastspeech2.variance_predictor import VariancePredictor
from typeguard import typechecked


def _embed(kernel_size: int, adim: int, dropout_rate: float) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv1d(1, adim, kernel_size, padding=(kernel_size - 1) // 2),
        torch.nn.Dropout(dropout_rate),
    )


class VarianceConverter(torch.nn.Module):
    """Converts one prosodic stream (pitch or energy) from the source to the target speaker.

    Predicts the target value of every (reduced) source frame — the target's average over that source
    frame's span — from the encoder states, optionally conditioned on the source's own value, and embeds
    either the ground truth (teacher forcing) or the prediction into the hidden states.
    """

    @typechecked
    def __init__(
        self,
        adim: int,
        n_layers: int = 2,
        n_chans: int = 256,
        kernel_size: int = 3,
        dropout_rate: float = 0.5,
        embed_kernel_size: int = 9,
        embed_dropout_rate: float = 0.5,
        use_source: bool = False,
        stop_gradient: bool = False,
        teacher_forcing: bool = True,
    ):
        """Initialize.

        Args:
            adim: Hidden dimension.
            n_layers: Predictor conv layers.
            n_chans: Predictor channels.
            kernel_size: Predictor kernel size.
            dropout_rate: Predictor dropout.
            embed_kernel_size: Kernel of the value embedding conv.
            embed_dropout_rate: Dropout after the value embedding.
            use_source: Condition the predictor on the source value.
            stop_gradient: Do not back-propagate the predictor loss into the encoder.
            teacher_forcing: In training the owner embeds the ground truth (True) or the prediction (False).
        """
        super().__init__()
        self.stop_gradient = stop_gradient
        self.teacher_forcing = teacher_forcing
        self.predictor = VariancePredictor(
            idim=adim, n_layers=n_layers, n_chans=n_chans, kernel_size=kernel_size, dropout_rate=dropout_rate
        )
        self.embed = _embed(embed_kernel_size, adim, embed_dropout_rate)
        self.source_embed = _embed(embed_kernel_size, adim, embed_dropout_rate) if use_source else None

    def forward(
        self,
        hs: torch.Tensor,
        pad_masks: torch.Tensor,
        source: Optional[torch.Tensor] = None,
        target: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Predict and embed.

        Args:
            hs: Encoder states (B, N, adim).
            pad_masks: True at padded frames (B, N).
            source: Source value per frame (B, N, 1); required when built with ``use_source``.
            target: Ground-truth target value (B, N, 1) to embed instead of the prediction.

        Returns:
            Prediction (B, N, 1) and the embedding to add to ``hs`` (B, N, adim).
        """
        x = hs.detach() if self.stop_gradient else hs
        if self.source_embed is not None:
            if source is None:
                raise ValueError("this network conditions on source prosody (use_source_*): pass it")
            x = x + self.source_embed(source.transpose(1, 2)).transpose(1, 2)
        pred = self.predictor(x, pad_masks.unsqueeze(-1))
        value = pred if target is None else target
        return pred, self.embed(value.transpose(1, 2)).transpose(1, 2)
