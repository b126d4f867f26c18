"""Vocos: exact output length (frames × hop) for the shipped configs, frames centred as the mels are, mismatches
refused at training and at decoding."""

from pathlib import Path

import pytest
import torch
import yaml

from espnet2_vc.tasks.vocoder import VocoderTask
from espnet2_vc.utils.config import mel_config
from espnet2_vc.vocoder.vocos import FrameAlignedISTFT, VocosGenerator

from ..tasks.test_vocoder import write_vc_config

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "egs/TEMPLATE/vc1/conf"
CONFIGS = {  # the shipped Vocos configs with the VC config each is meant for
    "hop256": (CONF / "vocoder_vocos_hop256.yaml", ROOT / "egs/arctic/vc1/conf/train.yaml"),
    "hop300": (CONF / "vocoder_vocos_hop300.yaml", CONF / "train_nars2s_24k.yaml"),
    "cpu": (CONF / "vocoder_vocos_cpu.yaml", ROOT / "egs/arctic/vc1/conf/train_cpu.yaml"),
}
TINY = ["--generator", "vocos", "--generator_conf", "dim=16", "--generator_conf", "intermediate_dim=32",
        "--generator_conf", "num_layers=1", "--discriminator", "multi_period_multi_resolution",
        "--discriminator_conf", "periods=[2]",
        "--discriminator_conf", "period_discriminator_params={channels: 2, max_downsample_channels: 4}",
        "--discriminator_conf", "resolution_discriminator_params={filters: 2}",
        "--model_conf", "segment_size=4096"]  # fmt: skip


@pytest.fixture(scope="module", params=list(CONFIGS))
def built(request):
    config, vc = CONFIGS[request.param]
    args = VocoderTask.get_parser().parse_args(["--config", str(config), "--vc_config", str(vc), "--output_dir", "x"])
    return VocoderTask.build_model(args).eval(), mel_config(str(vc))


@pytest.mark.parametrize("n_frames", [1, 2, 7, 64])
def test_output_is_exactly_frames_times_hop(built, n_frames):
    model, mel = built
    hop, n_mels = int(mel["hop_length"]), int(mel["n_mels"])
    with torch.no_grad():
        batch = model.generator(torch.randn(2, n_mels, n_frames))
        single = model.generator.inference(torch.randn(n_frames, n_mels))
    assert batch.shape == (2, 1, n_frames * hop)
    assert single.shape == (n_frames * hop, 1)


@pytest.mark.parametrize("n_fft, hop", [(1024, 256), (1200, 300), (512, 256)])
def test_istft_frames_centred_on_hop_multiples(n_fft, hop):
    """The centred STFT of a signal, inverted, gives the signal back sample for sample: frame t is centred on
    sample t·hop, as the VC model's mels are (Vocos's "same" padding would put it half a hop later)."""
    n_frames = 20
    x = torch.randn(n_frames * hop, dtype=torch.float64)
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True)  # n_frames + 1 frames
    istft = FrameAlignedISTFT(n_fft, hop).double()
    y = istft(spec[None, :, :n_frames])[0]
    assert y.shape == (n_frames * hop,)
    covered = (n_frames - 1) * hop + hop // 2  # samples that the kept frames cover fully
    torch.testing.assert_close(y[:covered], x[:covered], rtol=1e-5, atol=1e-5)


def test_mel_settings_filled_in(tmp_path):
    vc = write_vc_config(tmp_path / "vc.yaml", fs=24000, n_fft=2048, hop_length=300)
    args = VocoderTask.get_parser().parse_args(["--vc_config", vc, "--output_dir", "x", *TINY[:-2],
                                                "--model_conf", "segment_size=6000"])  # fmt: skip
    generator = VocoderTask.build_model(args).generator
    assert generator.upsample_factor == 300 and generator.input_conv.in_channels == 80
    assert generator.head.istft.n_fft == 1200  # 4 × hop


@pytest.fixture
def vc16k(tmp_path) -> str:
    return write_vc_config(tmp_path / "vc.yaml")  # 16 kHz, 1024 / 256, 80 bins, 80-7600 Hz, log10


@pytest.mark.parametrize(
    "extra, message",
    [(["--generator_conf", "hop_length=300"], r"--generator_conf: hop_length=300 \(VC: hop_length=256\) differ"),
     (["--generator_conf", "in_channels=40"], r"--generator_conf: in_channels=40 \(VC: n_mels=80\) differ"),
     (["--generator_conf", "n_fft=256"], r"n_fft=256 must be at least 2 × hop_length \(512\)"),
     (["--generator_conf", "upsample_scales=[8, 8, 4]"], r"--generator_conf: unknown key\(s\) \['upsample_scales'\]"),
     (["--model_conf", "segment_size=4000"], r"segment_size=4000 must be a multiple of hop_length=256"),
     (["--generator_conf", "magnitude_prior=true", "--generator_conf", "n_fft=2048"],
      r"n_fft=2048: with magnitude_prior the iSTFT must use the mel's n_fft \(1024\)"),
     (["--generator_conf", "mel={fs: 8000}"], r"--generator_conf mel: filled in from the VC config")],
)  # fmt: skip
def test_mismatch_refused(vc16k, extra, message):
    args = VocoderTask.get_parser().parse_args(["--vc_config", vc16k, "--output_dir", "x", *TINY, *extra])
    with pytest.raises(ValueError, match=message):
        VocoderTask.build_model(args)


def test_decoding_needs_the_trained_generator_name(vc16k, tmp_path):
    """A Vocos checkpoint decodes with --vocoder vocos; --vocoder hifigan is refused, naming the right one."""
    from espnet2_vc.vocoder.registry import build_vocoder

    args = VocoderTask.get_parser().parse_args(["--vc_config", vc16k, "--output_dir", "x", *TINY])
    model = VocoderTask.build_model(args)
    voc = tmp_path / "voc"
    voc.mkdir()
    with open(voc / "config.yaml", "w") as f:
        yaml.safe_dump(vars(args), f)
    torch.save(model.state_dict(), voc / "latest.pth")
    mel = mel_config(vc16k)
    with pytest.raises(ValueError, match=r"trained with --generator vocos; decode it with --vocoder vocos, not "
                                         r"--vocoder hifigan"):  # fmt: skip
        build_vocoder("hifigan", {"model_file": str(voc / "latest.pth")}, mel)
    vocoder = build_vocoder("vocos", {"model_file": str(voc / "latest.pth")}, mel)
    assert vocoder(torch.randn(9, 80)).shape == (9 * 256,)
    expected = model.generator.eval()(torch.zeros(1, 80, 9)).view(-1)
    torch.testing.assert_close(vocoder(torch.zeros(9, 80)), expected.detach())


def test_generator_is_the_vocos_package_backbone():
    """Built on the vocos package (its backbone and head), not a copy of it."""
    from vocos.heads import ISTFTHead
    from vocos.models import VocosBackbone

    gen = VocosGenerator(in_channels=80, hop_length=256, dim=16, intermediate_dim=32, num_layers=1)
    assert isinstance(gen.backbone, VocosBackbone) and isinstance(gen.head, ISTFTHead)
    assert not any(k.startswith("input_conv") for k in gen.state_dict())  # the property adds no second copy


def test_magnitude_prior_starts_at_the_mel_pseudo_inverse(vc16k):
    """Untrained, the predicted magnitude maps back onto the input mel (mel filterbank × pseudo-inverse = I)."""
    from espnet2.layers.log_mel import LogMel

    mel = mel_config(vc16k)
    gen = VocosGenerator(in_channels=80, hop_length=256, dim=16, intermediate_dim=32, num_layers=1,
                         magnitude_prior=True, mel=mel)  # fmt: skip
    assert gen.head.istft.n_fft == mel["n_fft"]
    melmat = LogMel(fs=16000, n_fft=1024, n_mels=80, fmin=80, fmax=7600).melmat  # (513, 80)
    speech_like = torch.rand(1, 513, 12) + torch.linspace(2.0, 0.01, 513)[None, :, None]  # a positive spectrum
    log_mel = torch.log10(torch.matmul(speech_like.transpose(1, 2), melmat)).transpose(1, 2)  # (1, 80, 12)
    with torch.no_grad():
        mag, _ = gen.spectrum(log_mel)
    back = torch.log10(torch.matmul(mag.transpose(1, 2), melmat)).transpose(1, 2)
    assert float((back - log_mel).abs().max()) < 0.02
    assert gen(log_mel).shape == (1, 1, 12 * 256)

