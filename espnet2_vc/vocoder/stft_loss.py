"""Multi-resolution STFT loss (Yamamoto et al., ICASSP 2020, Parallel WaveGAN): an auxiliary generator loss.

HiFi-GAN's mel L1 only sees the mel filterbank's view of the spectrum; at the resolutions where harmonics
are resolved, a generator trained on it alone converges slowly to the right fine structure (doc/vocoder.md
has the measurement). The STFT loss compares linear magnitudes directly, at several resolutions none of
which needs to be the mel's own.
"""

from typing import List, Sequence

import torch
from typeguard import typechecked


class STFTLoss(torch.nn.Module):
    """Spectral convergence and log-magnitude L1 at one STFT resolution."""

    @typechecked
    def __init__(self, fft_size: int, hop_size: int, win_length: int, window: str = "hann", eps: float = 1e-7):
        """Initialize.

        Args:
            fft_size: FFT points.
            hop_size: Frame shift in samples.
            win_length: Window length in samples (≤ ``fft_size``).
            window: A ``torch.<window>_window`` name, e.g. ``hann``.
            eps: Magnitude floor before the log.
        """
        super().__init__()
        if not 0 < hop_size <= win_length <= fft_size:
            raise ValueError(f"STFT loss resolution needs 0 < hop_size ({hop_size}) <= win_length ({win_length}) "
                             f"<= fft_size ({fft_size})")  # fmt: skip
        window_fn = getattr(torch, f"{window}_window", None)
        if window_fn is None:
            raise ValueError(f"STFT loss window '{window}': torch has no {window}_window")
        self.fft_size, self.hop_size, self.win_length, self.eps = fft_size, hop_size, win_length, eps
        self.register_buffer("window", window_fn(win_length), persistent=False)

    def magnitude(self, x: torch.Tensor) -> torch.Tensor:
        """Waveforms (B, T) → magnitudes (B, fft_size // 2 + 1, T // hop_size + 1), floored at ``eps``."""
        spec = torch.stft(x.float(), self.fft_size, self.hop_size, self.win_length, self.window.float(),
                          return_complex=True)  # fmt: skip
        return spec.abs().clamp(min=self.eps)

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Spectral convergence plus mean |log |Y| - log |Ŷ|| of waveforms (B, T): a scalar."""
        mag_hat, mag = self.magnitude(y_hat), self.magnitude(y)
        convergence = torch.linalg.norm(mag - mag_hat) / torch.linalg.norm(mag).clamp(min=self.eps)
        return convergence + (mag.log() - mag_hat.log()).abs().mean()


class MultiResolutionSTFTLoss(torch.nn.Module):
    """Mean of :class:`STFTLoss` over several resolutions (defaults: Parallel WaveGAN's)."""

    @typechecked
    def __init__(
        self,
        fft_sizes: Sequence[int] = (1024, 2048, 512),
        hop_sizes: Sequence[int] = (120, 240, 50),
        win_lengths: Sequence[int] = (600, 1200, 240),
        window: str = "hann",
    ):
        """Initialize.

        Args:
            fft_sizes: FFT points of each resolution.
            hop_sizes: Frame shifts, one per resolution.
            win_lengths: Window lengths, one per resolution.
            window: Window name for all resolutions.
        """
        super().__init__()
        if not len(fft_sizes) == len(hop_sizes) == len(win_lengths) > 0:
            raise ValueError(f"STFT loss: fft_sizes {list(fft_sizes)}, hop_sizes {list(hop_sizes)} and win_lengths "
                             f"{list(win_lengths)} must be non-empty and of one length")  # fmt: skip
        losses: List[STFTLoss] = [STFTLoss(*r, window=window) for r in zip(fft_sizes, hop_sizes, win_lengths)]
        self.losses = torch.nn.ModuleList(losses)

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss of generated vs reference waveforms, (B, 1, T) or (B, T): a scalar."""
        y_hat, y = y_hat.reshape(y_hat.size(0), -1), y.reshape(y.size(0), -1)
        return sum(loss(y_hat, y) for loss in self.losses) / len(self.losses)
