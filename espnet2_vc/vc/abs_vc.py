"""Abstract base of voice-conversion networks (the ``--tts`` registry of :class:`VCTask`).

A network declares what it takes besides the source and target features with the ``requires_*`` class
attributes; the wrapper (:class:`espnet2_vc.vc.espnet_model.ESPnetVCModel`) extracts and passes exactly
those, by name, as ``conditions``:

* ``durations`` (B, N_src) and ``durations_lengths`` (B,): target frames per reduced source frame
  (``requires_durations``; training only).
* ``pitch`` / ``energy`` (B, T_tgt, 1): normalized target pitch / energy (``requires_pitch`` /
  ``requires_energy``).
* ``src_pitch`` / ``src_energy`` (B, T_src, 1): the source's own contour, per-utterance normalized
  (``requires_source_pitch`` / ``requires_source_energy``).
* ``src_sids`` / ``tgt_sids`` (B, 1): speaker ids, when the data has them (many-to-many).

In :meth:`AbsVC.inference` the same names come without the batch axis; durations, pitch and energy are given
only for teacher forcing.
"""

from abc import ABC, abstractmethod
from typing import Dict, List, Optional, Tuple

import torch
from espnet2.torch_utils.device_funcs import force_gatherable


def _gather(
    loss: torch.Tensor, stats: Dict[str, torch.Tensor], batch_size: int
) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
    return force_gatherable((loss, stats, loss.new_tensor(float(batch_size))), loss.device)


# What loss_outputs runs: _gather, or _gather under torch.compiler.disable once a network is to be compiled
# (keep_loss_outputs_eager). Decorating it here would import torch._dynamo (0.6 s) in every process.
_GATHER = {"fn": _gather}


def keep_loss_outputs_eager() -> None:
    """Keep :func:`loss_outputs` out of ``torch.compile`` (its views of 0-dim tensors break AOT autograd):
    :class:`espnet2_vc.vc.compile.CompileSettings` calls this before it compiles a network."""
    if _GATHER["fn"] is _gather:
        _GATHER["fn"] = torch.compiler.disable(_gather)


def loss_outputs(
    loss: torch.Tensor, stats: Dict[str, torch.Tensor], batch_size: int
) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
    """What a network's ``forward`` returns: espnet's ``force_gatherable`` of loss, stats and the batch-size
    weight (run eagerly in a compiled network: :func:`keep_loss_outputs_eager`)."""
    return _GATHER["fn"](loss, stats, batch_size)


class AbsVC(torch.nn.Module, ABC):
    """A network that maps normalized source features to normalized target features."""

    requires_durations: bool = False
    requires_pitch: bool = False
    requires_energy: bool = False
    requires_source_pitch: bool = False
    requires_source_energy: bool = False

    def takes(self, condition: str) -> bool:
        """Whether the network takes ``condition``: ``durations``, ``pitch``, ``energy``, ``src_pitch`` or
        ``src_energy`` (the ``requires_*`` attributes by the data name)."""
        return {
            "durations": self.requires_durations,
            "pitch": self.requires_pitch,
            "energy": self.requires_energy,
            "src_pitch": self.requires_source_pitch,
            "src_energy": self.requires_source_energy,
        }[condition]

    @abstractmethod
    def forward(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        **conditions: torch.Tensor,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Compute the training loss.

        Args:
            src_feats: Normalized source features (B, T_src, idim).
            src_feats_lengths: Source lengths (B,).
            tgt_feats: Normalized target features (B, T_tgt, odim).
            tgt_feats_lengths: Target lengths (B,).
            conditions: What the network declares it requires (module docstring).

        Returns:
            Loss scalar, statistics to report, batch-size weight.
        """
        raise NotImplementedError

    @abstractmethod
    def inference(
        self,
        src_feats: torch.Tensor,
        tgt_feats: Optional[torch.Tensor] = None,
        alpha: float = 1.0,
        **conditions: torch.Tensor,
    ) -> Dict[str, torch.Tensor]:
        """Convert one utterance.

        Args:
            src_feats: Normalized source features (T_src, idim).
            tgt_feats: Normalized target features (T_tgt, odim) for teacher forcing: the output then has exactly
                ``T_tgt`` frames and follows the reference's alignment.
            alpha: Speaking-rate control (>1 faster), where the network can change it.
            conditions: As in :meth:`forward`, without the batch axis.

        Returns:
            Dict with at least ``feat_gen`` (T_out, odim) and ``duration`` (N_src,): target frames per reduced
            source frame, predicted or read from the network's alignment.
        """
        raise NotImplementedError

    @property
    def reduction_factor(self) -> int:
        """Frames per network step (1 when the network does not reduce)."""
        return 1

    def _init_speakers(self, spks: Optional[int], dim: int) -> None:
        """Source and target speaker embeddings (``src_sid_emb`` / ``tgt_sid_emb``) of a many-to-many network
        (``spks`` > 1); none for one pair (``spks`` None or 1)."""
        self.spks = spks if spks is not None and spks > 1 else None
        if self.spks is not None:
            self.src_sid_emb = torch.nn.Embedding(self.spks, dim)
            self.tgt_sid_emb = torch.nn.Embedding(self.spks, dim)

    def _add_speakers(
        self, hs: torch.Tensor, src_sids: Optional[torch.Tensor], tgt_sids: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """``hs`` (B, N, dim) plus the pair's two speaker embeddings (ids (B, 1) or (B,)); ``hs`` for one pair."""
        if self.spks is None:
            return hs
        if src_sids is None or tgt_sids is None:
            raise ValueError(f"this model converts between {self.spks} speakers: give src_sids and tgt_sids")
        return hs + (self.src_sid_emb(src_sids.view(-1)) + self.tgt_sid_emb(tgt_sids.view(-1))).unsqueeze(1)


class AbsAttentionVC(AbsVC):
    """A network whose decoder attends to the source: it can teach durations (``--duration_method teacher``)."""

    @property
    def alignment_heads(self) -> Optional[List[Tuple[int, int]]]:
        """The (layer, head) pairs trained to align (durations come from the most focused of them); None: all."""
        return None

    @abstractmethod
    def alignments(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        **conditions: torch.Tensor,
    ) -> torch.Tensor:
        """Teacher-forced source attention of every (layer, head).

        Args:
            src_feats / src_feats_lengths / tgt_feats / tgt_feats_lengths / conditions: As in :meth:`AbsVC.forward`.

        Returns:
            Attention weights (B, L, H, N_tgt, N_src) over reduced frames (``ceil(T_tgt / r)`` target steps,
            ``T_src // r`` source frames); rows past an utterance's lengths are padding.
        """
        raise NotImplementedError
