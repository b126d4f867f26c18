"""APNet's spectral losses: anti-wrapping, zero on the reference itself, and in HiFiGANVocoderModel with Vocos
(their gradients reach the head; refused for a generator without a spectrum; off by default)."""

import math

import pytest
import torch
from espnet2.gan_tts.hifigan import HiFiGANMultiPeriodDiscriminator

from espnet2_vc.vocoder.phase_losses import PhaseAmplitudeLoss, anti_wrapping
from espnet2_vc.vocoder.vocos import VocosGenerator

from .test_hifigan_training import MEL, batch, make_model


def test_anti_wrapping_ignores_whole_turns():
    x = torch.linspace(-3.0, 3.0, 13)
    for k in (-2, 1, 5):
        torch.testing.assert_close(anti_wrapping(x + 2 * math.pi * k), anti_wrapping(x), atol=1e-5, rtol=0)
    assert float(anti_wrapping(torch.tensor(math.pi - 0.1))) == pytest.approx(math.pi - 0.1, abs=1e-6)
    assert float(anti_wrapping(torch.tensor(math.pi + 0.1))) == pytest.approx(math.pi - 0.1, abs=1e-6)


def test_losses_vanish_on_the_reference_and_grow_with_a_phase_error():
    torch.manual_seed(0)
    reference = torch.polar(torch.rand(2, 33, 20) + 0.1, (torch.rand(2, 33, 20) - 0.5) * 2 * math.pi)
    loss = PhaseAmplitudeLoss(edge_frames=2)
    exact = loss(reference.abs(), torch.angle(reference) + 2 * math.pi, reference, reference)
    assert all(float(v) < 1e-5 for v in exact.values()), exact
    shifted = loss(reference.abs(), torch.angle(reference) + 0.5 * torch.randn(2, 33, 20), reference, reference)
    assert float(shifted["phase"]) > 0.3 and float(shifted["amplitude"]) < 1e-5
    assert float(shifted["consistency"]) > 0.01  # the shifted spectrum is no longer the rebuilt one


def vocos_model(**kw):
    generator = VocosGenerator(in_channels=20, hop_length=64, dim=16, intermediate_dim=32, num_layers=1,
                               magnitude_prior=True, mel=dict(MEL))  # fmt: skip
    discriminator = HiFiGANMultiPeriodDiscriminator(periods=[2], discriminator_params=dict(
        channels=2, max_downsample_channels=4, downsample_scales=[3, 1]))  # fmt: skip
    from espnet2_vc.vocoder.hifigan_training import HiFiGANVocoderModel

    return HiFiGANVocoderModel(generator, discriminator, dict(MEL), segment_size=1024, **kw)


def test_spectral_losses_train_the_vocos_head():
    model = vocos_model(lambda_amplitude=45.0, lambda_phase=100.0, lambda_consistency=20.0)
    model.train()
    out = model(*batch(), forward_generator=True)
    stats = out["stats"]
    assert {"generator_amplitude_loss", "generator_phase_loss", "generator_consistency_loss"} <= set(stats)
    assert float(stats["generator_phase_loss"]) > 0
    out["loss"].backward()
    head = model.generator.head.out.weight.grad  # (2 (n_fft / 2 + 1), dim): log-magnitude rows, then phase rows
    assert head is not None and float(head[129:].abs().sum()) > 0 and float(head[:129].abs().sum()) > 0
    model.zero_grad()
    model(*batch(), forward_generator=False)["loss"].backward()  # the discriminator turn as before


def test_spectral_losses_off_by_default():
    out = vocos_model()(*batch(), forward_generator=True)
    assert not any(k in out["stats"] for k in ("generator_amplitude_loss", "generator_phase_loss"))


def test_spectral_losses_need_a_generator_with_a_spectrum():
    with pytest.raises(ValueError, match=r"lambda_phase: the spectral losses need a generator that predicts an STFT"):
        make_model(lambda_phase=1.0)
    with pytest.raises(ValueError, match=r"each must be >= 0"):
        vocos_model(lambda_amplitude=-1.0)
