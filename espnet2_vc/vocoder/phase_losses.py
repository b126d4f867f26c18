"""APNet's spectral losses (Ai & Ling, 2023) for a generator that predicts an STFT (Vocos).

The predicted log-amplitude and phase are compared frame by frame with the STFT of the reference segment at the
generator's own resolution, so the head learns a phase directly instead of through the waveform losses alone:

- amplitude: mean squared error of the log-amplitudes;
- phase: the anti-wrapping distance ``|x - 2π·round(x / 2π)|`` of the instantaneous phase, of the group delay
  (phase differences along frequency) and of the phase time difference (along time), summed;
- consistency: mean squared distance between the predicted spectrum and the STFT of its own inverse, which is
  zero only for a spectrum some waveform has (per-frame phases that agree in the overlap-add).

The first and last ``n_fft / (2 hop)`` frames of a segment are left out: their reference STFT sees the segment's
padding, while the mels they are predicted from saw the whole utterance.
"""

import math
from typing import Dict

import torch

AMPLITUDE_FLOOR = 1e-5


def anti_wrapping(x: torch.Tensor) -> torch.Tensor:
    """Distance of a phase difference to the nearest multiple of 2π (elementwise, in [0, π])."""
    return torch.abs(x - 2 * math.pi * torch.round(x / (2 * math.pi)))


class PhaseAmplitudeLoss(torch.nn.Module):
    """Amplitude, phase and consistency losses of a predicted STFT against a reference one."""

    def __init__(self, edge_frames: int) -> None:
        """Initialize.

        Args:
            edge_frames: Frames left out at each end of a segment (``n_fft // (2 * hop)``).
        """
        super().__init__()
        self.edge_frames = edge_frames

    def forward(
        self, magnitude: torch.Tensor, phase: torch.Tensor, reference: torch.Tensor, rebuilt: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """Losses (scalars) ``amplitude``, ``phase`` and ``consistency``.

        Args:
            magnitude: Predicted magnitude (B, F, T).
            phase: Predicted phase (B, F, T), any range.
            reference: Complex STFT of the reference segment (B, F, T), the same frames.
            rebuilt: Complex STFT of the generated segment (B, F, T) (the predicted spectrum's inverse).
        """
        edge = self.edge_frames
        if magnitude.size(-1) <= 2 * edge + 1:
            raise ValueError(f"segments of {magnitude.size(-1)} frames leave none after {edge} edge frames a side")
        keep = slice(edge, magnitude.size(-1) - edge)
        magnitude, phase, reference, rebuilt = (x[..., keep] for x in (magnitude, phase, reference, rebuilt))
        log_hat = torch.log(magnitude.clamp(min=AMPLITUDE_FLOOR))
        log_ref = torch.log(reference.abs().clamp(min=AMPLITUDE_FLOOR))
        ref_phase = torch.angle(reference)
        instantaneous = anti_wrapping(phase - ref_phase).mean()
        group_delay = anti_wrapping(torch.diff(phase, dim=1) - torch.diff(ref_phase, dim=1)).mean()
        time_difference = anti_wrapping(torch.diff(phase, dim=2) - torch.diff(ref_phase, dim=2)).mean()
        predicted = torch.polar(magnitude, phase)
        return dict(
            amplitude=torch.mean((log_hat - log_ref) ** 2),
            phase=instantaneous + group_delay + time_difference,
            consistency=torch.mean(torch.abs(predicted - rebuilt) ** 2),
        )
