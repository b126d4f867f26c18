"""Encoder / decoder stacks for NARS2S, built from espnet's transformer and conformer blocks."""

from typing import Any, Dict

import torch
from espnet.nets.pytorch_backend.conformer.encoder import Encoder as ConformerEncoder
from espnet.nets.pytorch_backend.transformer.embedding import PositionalEncoding, ScaledPositionalEncoding
from espnet.nets.pytorch_backend.transformer.encoder import Encoder as TransformerEncoder

BLOCK_TYPES = ("transformer", "conformer")
# espnet's LayerNorm uses eps=1e-12: on padded frames (all zeros after the length regulator or the input
# padding) the normalization then multiplies gradients by ~1e6 and one batch's gradient norm reaches 1e8,
# which grad clipping turns into a zero update. torch's default eps bounds that factor.
LAYER_NORM_EPS = 1e-5


def bounded_layer_norms(module: torch.nn.Module) -> torch.nn.Module:
    """Raise every LayerNorm's eps in ``module`` to :data:`LAYER_NORM_EPS` (see there); returns ``module``."""
    for m in module.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.eps = max(m.eps, LAYER_NORM_EPS)
    return module


def input_projection(idim: int, adim: int, dropout_rate: float) -> torch.nn.Module:
    """(B, N, idim) → (B, N, adim): linear, LayerNorm, dropout, ReLU.

    It runs outside the blocks so that the caller can zero the padded frames after it: a LayerNorm over an
    all-zero padded frame would otherwise blow up the gradients (see :data:`LAYER_NORM_EPS`).
    """
    return torch.nn.Sequential(
        torch.nn.Linear(idim, adim), torch.nn.LayerNorm(adim), torch.nn.Dropout(dropout_rate), torch.nn.ReLU()
    )


def build_blocks(
    block_type: str,
    *,
    adim: int,
    aheads: int,
    units: int,
    layers: int,
    dropout_rate: float,
    positional_dropout_rate: float,
    attn_dropout_rate: float,
    normalize_before: bool,
    concat_after: bool,
    conformer_kernel_size: int,
    common: Dict[str, Any],
) -> torch.nn.Module:
    """Build a stack of self-attention blocks mapping (B, T, adim) to (B, T, adim) (no input layer: the
    callers project and mask their inputs themselves).

    Args:
        block_type: ``transformer`` or ``conformer``.
        adim: Attention dimension.
        aheads: Attention heads.
        units: Feed-forward units.
        layers: Number of blocks.
        dropout_rate: Dropout in the blocks.
        positional_dropout_rate: Dropout after positional encoding.
        attn_dropout_rate: Dropout on attention weights.
        normalize_before: Pre-norm blocks.
        concat_after: Concatenate attention input and output instead of adding.
        conformer_kernel_size: Kernel of the conformer convolution module.
        common: Options shared by encoder and decoder (``positionwise_layer_type``,
            ``positionwise_conv_kernel_size``, ``use_scaled_pos_enc`` and the ``conformer_*`` options).
    """
    kwargs = dict(
        idim=0,
        attention_dim=adim,
        attention_heads=aheads,
        linear_units=units,
        num_blocks=layers,
        input_layer=None,
        dropout_rate=dropout_rate,
        positional_dropout_rate=positional_dropout_rate,
        attention_dropout_rate=attn_dropout_rate,
        normalize_before=normalize_before,
        concat_after=concat_after,
        positionwise_layer_type=common["positionwise_layer_type"],
        positionwise_conv_kernel_size=common["positionwise_conv_kernel_size"],
    )
    if block_type == "transformer":
        pos_enc = ScaledPositionalEncoding if common["use_scaled_pos_enc"] else PositionalEncoding
        return bounded_layer_norms(TransformerEncoder(pos_enc_class=pos_enc, **kwargs))
    if block_type == "conformer":
        return bounded_layer_norms(ConformerEncoder(
            macaron_style=common["use_macaron_style_in_conformer"],
            pos_enc_layer_type=common["conformer_pos_enc_layer_type"],
            selfattention_layer_type=common["conformer_self_attn_layer_type"],
            activation_type=common["conformer_activation_type"],
            use_cnn_module=common["use_cnn_in_conformer"],
            cnn_module_kernel=conformer_kernel_size,
            **kwargs,
        ))
    raise ValueError(f"block type must be one of {BLOCK_TYPES}: {block_type}")
