"""HiFiGANVocoderModel: aligned segments, the two GAN turns on CPU, the shared generator output, refusals."""

import pytest
import torch
from espnet2.gan_tts.hifigan import HiFiGANGenerator, HiFiGANMultiScaleMultiPeriodDiscriminator

from espnet2_vc.vocoder.hifigan_training import HiFiGANVocoderModel, mel_floor

MEL = dict(fs=8000, n_fft=256, win_length=256, hop_length=64, window="hann", center=True, n_mels=20, fmin=0,
           fmax=4000, htk=False, log_base=10.0)  # fmt: skip


def make_model(**kw) -> HiFiGANVocoderModel:
    """A tiny model: 8 kHz, hop 64 = 8 × 8, segments of 16 frames."""
    gen = dict(in_channels=20, channels=16, upsample_scales=[8, 8], upsample_kernel_sizes=[16, 16],
               resblock_kernel_sizes=[3], resblock_dilations=[[1, 3]])  # fmt: skip
    gen.update(kw.pop("generator", {}))
    disc = HiFiGANMultiScaleMultiPeriodDiscriminator(
        scales=1, scale_discriminator_params=dict(channels=4, max_downsample_channels=8, max_groups=2,
                                                  downsample_scales=[2, 1]),
        periods=[2], period_discriminator_params=dict(channels=2, max_downsample_channels=4, downsample_scales=[3, 1]),
    )  # fmt: skip
    return HiFiGANVocoderModel(HiFiGANGenerator(**gen), disc, dict(MEL), **dict(dict(segment_size=1024), **kw))


def batch(lengths=(3000, 2000)):
    torch.manual_seed(0)
    speech = 0.3 * torch.randn(len(lengths), max(lengths))
    for i, n in enumerate(lengths):
        speech[i, n:] = 0.0
    return speech, torch.tensor(lengths)


def test_segments_are_aligned():
    """The mel segment is the mel of the waveform segment (frames away from the segment edges)."""
    model = make_model()
    speech, lengths = batch()
    mel_seg, wav_seg = model.segments(speech, lengths)
    assert mel_seg.shape == (2, 20, 16) and wav_seg.shape == (2, 1, 1024)
    again, _ = model.mels(wav_seg[:, 0], torch.tensor([1024, 1024]))
    inner = slice(2, 15)  # frames whose window lies inside the segment
    torch.testing.assert_close(again[:, inner].transpose(1, 2), mel_seg[..., inner], atol=1e-4, rtol=1e-4)


def test_short_utterance_is_padded_with_silence():
    model = make_model()
    speech, lengths = batch((300, 200))
    mel_seg, wav_seg = model.segments(speech, lengths)
    assert mel_seg.shape == (2, 20, 16) and wav_seg.shape == (2, 1, 1024)
    assert torch.all(mel_seg[1, :, 1 + 200 // 64 :] == mel_floor(10.0))
    assert torch.all(wav_seg[1, 0, 200:] == 0)


@pytest.mark.parametrize("with_feats", [False, True])
@pytest.mark.parametrize("generator_first", [False, True])
def test_gan_step(with_feats, generator_first):
    """One discriminator and one generator turn (either order); each updates its own network only."""
    model = make_model()
    model.train()
    speech, lengths = batch()
    kw = {}
    if with_feats:  # GTA mels: 1 + n // hop frames, here the ground truth plus noise
        feats, feats_lengths = model.mels(speech, lengths)
        kw = dict(feats=feats + 0.1 * torch.randn_like(feats), feats_lengths=feats_lengths)
    optims = [torch.optim.Adam(model.generator.parameters(), 1e-3), torch.optim.Adam(model.discriminator.parameters())]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for turn in (True, False) if generator_first else (False, True):
        out = model(speech, lengths, forward_generator=turn, **kw)
        assert out["optim_idx"] == (0 if turn else 1) and torch.isfinite(out["loss"])
        assert int(out["weight"]) == 2
        keys = {"generator_mel_loss", "generator_adv_loss", "generator_feat_match_loss"} if turn else \
            {"discriminator_real_loss", "discriminator_fake_loss"}  # fmt: skip
        assert keys <= set(out["stats"])
        out["loss"].backward()
        optims[out["optim_idx"]].step()
        for o in optims:
            o.zero_grad()
    changed = {k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"generator", "discriminator"}
    assert model._cache is None  # the second turn reused and dropped the generated segment


@pytest.mark.parametrize("lambda_stft", [0.0, 45.0])
def test_generator_loss_is_the_sum_of_its_terms(lambda_stft):
    """The STFT loss joins the generator's loss (and stats) only when it has a weight."""
    model = make_model(lambda_stft=lambda_stft, stft_loss_params=dict(fft_sizes=[256, 512], hop_sizes=[64, 128],
                                                                       win_lengths=[256, 512]))  # fmt: skip
    model.train()
    stats = model(*batch(), forward_generator=True)["stats"]
    terms = ["generator_mel_loss", "generator_adv_loss", "generator_feat_match_loss"]
    assert ("generator_stft_loss" in stats) == (lambda_stft > 0) and (model.stft_loss is None) == (lambda_stft == 0)
    if lambda_stft > 0:
        assert float(stats["generator_stft_loss"]) > 0
        terms.append("generator_stft_loss")
    assert float(stats["generator_loss"]) == pytest.approx(sum(float(stats[k]) for k in terms), rel=1e-5)


def test_stft_params_without_weight_are_reported(caplog):
    model = make_model(stft_loss_params=dict(fft_sizes=[256], hop_sizes=[64], win_lengths=[256]))
    assert model.stft_loss is None and "stft_loss_params is set but lambda_stft is 0" in caplog.text


def test_generated_segment_is_shared_by_the_two_turns():
    model = make_model()
    speech, lengths = batch()
    model.train()
    first = model._generate(speech, lengths, None, None)
    assert model._cache is first
    assert model._generate(speech, lengths, None, None) is first and model._cache is None
    model.eval()
    model._generate(speech, lengths, None, None)
    assert model._cache is None  # validation: no caching


def test_inference_length():
    model = make_model()
    model.eval()
    assert model.inference(torch.zeros(10, 20)).shape == (640,)


@pytest.mark.parametrize(
    "kw, message",
    [(dict(generator=dict(in_channels=30)), "the generator takes 30 mel bins but the VC config has n_mels=20"),
     (dict(generator=dict(upsample_scales=[8, 4], upsample_kernel_sizes=[16, 8])),
      r"the generator upsamples by 32 but the VC config's hop_length is 64"),
     (dict(segment_size=1000), "segment_size=1000 must be a multiple of hop_length=64"),
     (dict(segment_size=64), "segment_size=64 must be a multiple of hop_length=64 above n_fft / 2"),
     (dict(mel_loss_params=dict(n_mels=80)), r"mel_loss_params: n_mels=80 \(VC: n_mels=20\) differ"),
     (dict(lambda_stft=1.0, stft_loss_params=dict(fft_sizes=[4096], hop_sizes=[512], win_lengths=[2048])),
      r"segment_size=1024 must exceed half the longest STFT loss fft_size \(4096\)"),
     (dict(lambda_stft=-1.0), r"lambda_stft=-1.0 must be >= 0")],
)  # fmt: skip
def test_mismatch_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        make_model(**kw)


def test_discriminator_starts_after_the_given_steps():
    """discriminator_train_start_steps=2: two steps of mel loss alone (the discriminator untouched, no adversarial
    terms), then both turns as usual; the count is saved with the model and goes on after reloading."""
    model = make_model(discriminator_train_start_steps=2)
    optims = [torch.optim.Adam(model.generator.parameters(), 1e-3), torch.optim.Adam(model.discriminator.parameters())]
    disc_before = [p.detach().clone() for p in model.discriminator.parameters()]
    model.train()
    speech, lengths = batch()
    for step in range(3):
        for turn in (False, True):  # discriminator first, then generator (espnet's default order)
            out = model(speech, lengths, forward_generator=turn)
            out["loss"].backward()
            optims[out["optim_idx"]].step()
            for o in optims:
                o.zero_grad()
            if turn:
                adv = out["stats"]["generator_adv_loss"] + out["stats"]["generator_feat_match_loss"]
                assert (adv == 0) == (step < 2), f"step {step}: adversarial terms {adv}"
        unchanged = all(torch.equal(a, b) for a, b in zip(disc_before, model.discriminator.parameters()))
        assert unchanged == (step < 2), f"step {step}: discriminator updated: {not unchanged}"
    assert int(model.state_dict()["num_updates"]) == 3
    again = make_model(discriminator_train_start_steps=2)
    again.load_state_dict(model.state_dict())
    assert again.train().adversarial
    assert "num_updates" not in make_model().state_dict()  # without the option: earlier checkpoints still load
    with pytest.raises(ValueError, match="discriminator_train_start_steps=-1 must be >= 0"):
        make_model(discriminator_train_start_steps=-1)
