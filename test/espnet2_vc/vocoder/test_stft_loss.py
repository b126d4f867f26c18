"""MultiResolutionSTFTLoss: exact values on known pairs, finite gradients on silence, refused settings."""

import math

import pytest
import torch

from espnet2_vc.vocoder.stft_loss import MultiResolutionSTFTLoss, STFTLoss

SMALL = dict(fft_sizes=[128, 256], hop_sizes=[32, 64], win_lengths=[96, 256])


def speech(n: int = 2048) -> torch.Tensor:
    torch.manual_seed(0)
    t = torch.arange(n) / 8000
    return (0.3 * torch.sin(2 * math.pi * 220 * t) + 0.05 * torch.randn(n))[None, None]


def test_identical_waveforms_cost_nothing():
    y = speech()
    assert float(MultiResolutionSTFTLoss(**SMALL)(y, y.clone())) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("gain", [0.5, 2.0])
def test_gain_error_is_convergence_plus_log_gain(gain):
    """Ŷ = gain·Y: spectral convergence |1 - gain| and log-magnitude gap |log gain| at every resolution."""
    y = speech()
    loss = MultiResolutionSTFTLoss(**SMALL)(gain * y, y)
    assert float(loss) == pytest.approx(abs(1 - gain) + abs(math.log(gain)), rel=1e-4)


def test_default_resolutions_are_parallel_wavegan_ones():
    losses = MultiResolutionSTFTLoss().losses
    assert [(x.fft_size, x.hop_size, x.win_length) for x in losses] == [(1024, 120, 600), (2048, 240, 1200),
                                                                          (512, 50, 240)]  # fmt: skip


def test_silent_output_has_finite_gradients():
    """An all-zero generated segment (padding) must not make NaN gradients through |STFT|."""
    y_hat = torch.zeros(2, 1, 2048, requires_grad=True)
    loss = MultiResolutionSTFTLoss(**SMALL)(y_hat, speech().expand(2, 1, -1))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(y_hat.grad).all()


def test_closer_waveform_costs_less():
    y = speech()
    noise = torch.randn_like(y)
    loss = MultiResolutionSTFTLoss(**SMALL)
    assert float(loss(y + 0.01 * noise, y)) < float(loss(y + 0.1 * noise, y)) < float(loss(y + 1.0 * noise, y))


@pytest.mark.parametrize(
    "kw, message",
    [(dict(fft_sizes=[128], hop_sizes=[32, 64], win_lengths=[96]), "must be non-empty and of one length"),
     (dict(fft_sizes=[], hop_sizes=[], win_lengths=[]), "must be non-empty"),
     (dict(fft_sizes=[128], hop_sizes=[32], win_lengths=[256]), r"win_length \(256\) <= fft_size \(128\)"),
     (dict(fft_sizes=[128], hop_sizes=[200], win_lengths=[128]), r"hop_size \(200\) <= win_length"),
     (dict(window="nope"), "torch has no nope_window")],
)  # fmt: skip
def test_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        MultiResolutionSTFTLoss(**kw)


def test_window_is_not_saved():
    """The window is rebuilt from the settings: checkpoints keep the model's keys unchanged."""
    assert STFTLoss(128, 32, 96).state_dict() == {}
