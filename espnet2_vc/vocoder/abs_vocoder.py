"""Abstract base of vocoders used at decoding (the ``--vocoder`` registry of ``vc_inference``)."""

from abc import ABC, abstractmethod
from typing import Any, Dict

import torch


class AbsVocoder(ABC):
    """Turns a denormalized mel spectrogram of the VC model's mel config into a waveform."""

    @abstractmethod
    def __init__(self, mel: Dict[str, Any], **kwargs: Any) -> None:
        """Build from the VC model's mel settings (``espnet2_vc.utils.config.mel_config``)."""

    @abstractmethod
    def __call__(self, feats: torch.Tensor) -> torch.Tensor:
        """Mel (T_feats, n_mels) → waveform (T_wav,) at the mel config's sampling rate."""
