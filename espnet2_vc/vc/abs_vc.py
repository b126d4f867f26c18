"""Abstract base of voice-conversion networks (the ``--tts`` registry of :class:`VCTask`)."""

from abc import ABC, abstractmethod
from typing import Dict, Optional, Tuple

import torch


class AbsVC(torch.nn.Module, ABC):
    """A network that maps normalized source features to normalized target features.

    The wrapper model (:class:`espnet2_vc.vc.espnet_model.ESPnetVCModel`) owns feature extraction and
    normalization and passes only what it has: optional arguments left as ``None`` are absent.
    """

    # Whether the wrapper must extract source pitch / energy and pass ``src_pitch`` / ``src_energy``.
    requires_source_pitch: bool = False
    requires_source_energy: bool = False

    @abstractmethod
    def forward(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        feats: torch.Tensor,
        feats_lengths: torch.Tensor,
        durations: Optional[torch.Tensor] = None,
        durations_lengths: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        energy: Optional[torch.Tensor] = None,
        src_pitch: Optional[torch.Tensor] = None,
        src_energy: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Compute the training loss.

        Args:
            src_feats: Normalized source features (B, T_src, idim).
            src_feats_lengths: Source lengths (B,).
            feats: Normalized target features (B, T_tgt, odim).
            feats_lengths: Target lengths (B,).
            durations: Target frames per (reduced) source frame (B, N_src).
            durations_lengths: (B,).
            pitch: Normalized frame-level target pitch (B, T_tgt, 1).
            energy: Normalized frame-level target energy (B, T_tgt, 1).
            src_pitch: Frame-level source pitch (B, T_src, 1).
            src_energy: Frame-level source energy (B, T_src, 1).
            src_sids: Source speaker ids (B, 1).
            tgt_sids: Target speaker ids (B, 1).

        Returns:
            Loss scalar, statistics to report, batch-size weight.
        """
        raise NotImplementedError

    @abstractmethod
    def inference(
        self,
        src_feats: torch.Tensor,
        durations: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        energy: Optional[torch.Tensor] = None,
        src_pitch: Optional[torch.Tensor] = None,
        src_energy: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
        target_length: Optional[int] = None,
        alpha: float = 1.0,
    ) -> Dict[str, torch.Tensor]:
        """Convert one utterance.

        Args:
            src_feats: Normalized source features (T_src, idim).
            durations: Forced durations (N_src,); predicted when None.
            pitch: Forced frame-level target pitch (T_tgt, 1); predicted when None.
            energy: Forced frame-level target energy (T_tgt, 1); predicted when None.
            src_pitch: Source pitch (T_src, 1).
            src_energy: Source energy (T_src, 1).
            src_sids: Source speaker id (1,).
            tgt_sids: Target speaker id (1,).
            target_length: Trim the output to this many frames (teacher-forced decoding).
            alpha: Speaking-rate control (durations are divided by it).

        Returns:
            Dict with at least ``feat_gen`` (T_out, odim) and ``duration`` (N_src,).
        """
        raise NotImplementedError

    @property
    def reduction_factor(self) -> int:
        """Frames per network step (1 when the network does not reduce)."""
        return 1
