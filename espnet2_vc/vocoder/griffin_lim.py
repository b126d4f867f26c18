"""Griffin-Lim from espnet, configured from the VC model's mel settings."""

import math
from typing import Any, Dict

import torch
from espnet2.utils.griffin_lim import Spectrogram2Waveform

from espnet2_vc.vocoder.abs_vocoder import AbsVocoder


class GriffinLimVocoder(AbsVocoder):
    """Phase reconstruction with Griffin-Lim: no training, a reference and a fallback."""

    def __init__(self, mel: Dict[str, Any], griffin_lim_iters: int = 32) -> None:
        """Initialize.

        Args:
            mel: Mel settings (``fs``, ``n_fft``, ``hop_length``, ``win_length``, ``window``, ``n_mels``,
                ``fmin``, ``fmax``, ``log_base``).
            griffin_lim_iters: Griffin-Lim iterations.
        """
        log_base = mel.get("log_base")
        # espnet's Spectrogram2Waveform expects log10 mels.
        self.to_log10 = 1.0 / math.log(10.0) if log_base is None else math.log(log_base) / math.log(10.0)
        self.impl = Spectrogram2Waveform(
            n_fft=mel["n_fft"],
            n_shift=mel["hop_length"],
            fs=mel["fs"],
            n_mels=mel["n_mels"],
            win_length=mel.get("win_length"),
            window=mel.get("window", "hann"),
            fmin=mel.get("fmin"),
            fmax=mel.get("fmax"),
            griffin_lim_iters=griffin_lim_iters,
        )

    def __call__(self, feats: torch.Tensor) -> torch.Tensor:
        """Mel (T_feats, n_mels) in the config's log base → waveform (T_wav,)."""
        return self.impl(feats.detach().float().cpu() * self.to_log10)
