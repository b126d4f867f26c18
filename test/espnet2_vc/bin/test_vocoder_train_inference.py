"""The vocoder flow in one process on tiny generated data: GTA decoding → ground-truth training → fine-tuning on
GTA mels → ``vocoder_inference`` and ``vc_inference --vocoder hifigan``; and the refusals before training."""

from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from espnet2_vc.bin import vc_inference, vocoder_inference, vocoder_train

FS, HOP, R = 8000, 64, 2
MEL = dict(fs=FS, n_fft=256, hop_length=HOP, n_mels=20, fmin=0, fmax=4000, log_base=10.0)
VOCODER = dict(
    generator="hifigan", generator_conf=dict(channels=8, upsample_scales=[8, 8], upsample_kernel_sizes=[16, 16],
                                             resblock_kernel_sizes=[3], resblock_dilations=[[1, 3]]),
    discriminator="hifigan_multi_period",
    discriminator_conf=dict(periods=[2], discriminator_params=dict(channels=2, max_downsample_channels=4)),
    model_conf=dict(segment_size=512), batch_type="unsorted", batch_size=2, num_iters_per_epoch=2, max_epoch=1,
    optim="adam", optim2="adam", best_model_criterion=[["valid", "generator_mel_loss", "min"]], num_workers=0,
    use_matplotlib=False, use_tensorboard=False,
)  # fmt: skip


def tone(seconds: float, f0: float, seed: int) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    wav = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5))
    return (0.1 * wav + 0.003 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


def write_vc_exp(root: Path, **mel) -> Path:
    """A tiny VC model (initial weights, no stats or pitch/energy needed) as vc_train would leave it."""
    from espnet2_vc.tasks.vc import VCTask

    root.mkdir(parents=True, exist_ok=True)
    (root / "conf.yaml").write_text(yaml.safe_dump(dict(
        feats_extract="fbank", feats_extract_conf=dict(MEL, **mel), normalize=None, tgt_normalize=None,
        tts="nars2s", tts_conf=dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=1,
                                    postnet_chans=4, reduction_factor=R, duration_predictor_chans=4,
                                    use_pitch=False, use_energy=False),
    )))  # fmt: skip
    args = VCTask.get_parser().parse_args(["--config", str(root / "conf.yaml"), "--output_dir", str(root)])
    torch.manual_seed(0)
    model = VCTask.build_model(args)
    torch.save(model.state_dict(), root / "model.pth")
    (root / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    return root / "config.yaml"


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_pairs) -> Path:
    root = tmp_path_factory.mktemp("voc")
    pairs = [(f"utt{i}", tone(0.5 + 0.1 * i, 220, i), tone(0.6 + 0.07 * i, 120, 10 + i)) for i in range(3)]
    write_pairs(root, pairs, FS, HOP, R)
    (root / "vocoder.yaml").write_text(yaml.safe_dump(VOCODER))
    write_vc_exp(root / "vc_exp")
    return root


def train_opts(data: Path, out: Path, *extra: str, speech: str = "tgt_wav.scp") -> list:
    opts = ["--config", str(data / "vocoder.yaml"), "--vc_config", str(data / "vc_exp" / "config.yaml"),
            "--output_dir", str(out)]  # fmt: skip
    for mode in ("train", "valid"):
        opts += [f"--{mode}_data_path_and_name_and_type", f"{data / speech},speech,sound",
                 f"--{mode}_shape_file", str(data / "tgt_utt2num_samples")]  # fmt: skip
    return opts + list(extra)


def gta_decode(data: Path, out: Path) -> Path:
    vc_inference.main([
        "--train_config", str(data / "vc_exp" / "config.yaml"), "--model_file", str(data / "vc_exp" / "model.pth"),
        "--output_dir", str(out), "--use_teacher_forcing", "true", "--vocoder", "none",
        *sum((["--data_path_and_name_and_type", f"{data / f},{n},{k}"] for f, n, k in (
            ("wav.scp", "src_speech", "sound"), ("tgt_wav.scp", "tgt_speech", "sound"),
            ("durations", "durations", "text_int"))), []),
    ])  # fmt: skip
    return out / "denorm" / "feats.scp"


def gta_opts(feats_scp: Path) -> list:
    return ["--train_data_path_and_name_and_type", f"{feats_scp},feats,kaldi_ark",
            "--valid_data_path_and_name_and_type", f"{feats_scp},feats,kaldi_ark"]  # fmt: skip


def test_gt_gta_finetune_and_decode(data, tmp_path):
    # GTA decoding: every predicted mel has exactly the target's frame count.
    feats_scp = gta_decode(data, tmp_path / "gta")
    gta = dict(kaldiio.load_scp(str(feats_scp)))
    for utt, mel in gta.items():
        assert mel.shape == (1 + sf.info(str(data / f"{utt}_tgt.wav")).frames // HOP, 20), utt

    # Ground-truth training, then fine-tuning from it on the GTA mels (weights only: optimizers start afresh).
    vocoder_train.main(train_opts(data, tmp_path / "gt"))
    saved = yaml.safe_load((tmp_path / "gt" / "config.yaml").read_text())
    assert saved["mel"]["hop_length"] == HOP and saved["mel"]["n_mels"] == 20
    gt_model = tmp_path / "gt" / "latest.pth"
    vocoder_train.main(train_opts(data, tmp_path / "ft", "--init_param", str(gt_model), *gta_opts(feats_scp)))
    ft_model = tmp_path / "ft" / "latest.pth"
    assert ft_model.exists()

    # Decoding: mel scp → wavs, and as vc_inference's vocoder; both T_feats × hop samples.
    vocoder_inference.main(["--vc_config", str(data / "vc_exp" / "config.yaml"), "--model_file", str(ft_model),
                            "--feats_scp", str(feats_scp), "--output_dir", str(tmp_path / "wav")])  # fmt: skip
    for utt, mel in gta.items():
        assert sf.info(str(tmp_path / "wav" / "wav" / f"{utt}.wav")).frames == mel.shape[0] * HOP
    vc_inference.main([
        "--train_config", str(data / "vc_exp" / "config.yaml"), "--model_file", str(data / "vc_exp" / "model.pth"),
        "--output_dir", str(tmp_path / "conv"), "--data_path_and_name_and_type", f"{data / 'wav.scp'},src_speech,sound",
        "--vocoder", "hifigan", "--vocoder_conf", f"model_file={ft_model}",
    ])  # fmt: skip
    for utt, mel in kaldiio.load_scp(str(tmp_path / "conv" / "denorm" / "feats.scp")).items():
        assert sf.info(str(tmp_path / "conv" / "wav" / f"{utt}.wav")).frames == mel.shape[0] * HOP

    # A VC model with other mel settings cannot use this vocoder.
    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.registry import build_vocoder

    other = write_vc_exp(tmp_path / "vc_other", fmax=3800)
    with pytest.raises(ValueError, match=r"ft/config\.yaml: the vocoder was trained on other mels than this VC "
                                         r"model makes \(fmax: vocoder 4000 vs VC 3800\)"):  # fmt: skip
        build_vocoder("hifigan", {"model_file": str(ft_model)}, mel_config(other))


def test_refused_before_training(data, tmp_path):
    """Badly scaled targets, GTA mels of the wrong length and a ground-truth vocoder of other mels stop training
    before its first step, naming the file or the utterance."""
    # int16 samples stored as floats
    with open(data / "tgt_wav.scp") as f, open(tmp_path / "int16.scp", "w") as out:
        for line in f:
            utt, path = line.split()
            sf.write(tmp_path / f"{utt}.wav", sf.read(path, dtype="float32")[0] * 32768, FS, subtype="FLOAT")
            out.write(f"{utt} {tmp_path / f'{utt}.wav'}\n")
    with pytest.raises(ValueError, match=r"utt0\.wav \(utterance utt0 of .*int16\.scp.*\): peak .* > 1\.0"):
        vocoder_train.main(train_opts(data, tmp_path / "a", speech=str(tmp_path / "int16.scp")))
    assert not (tmp_path / "a" / "config.yaml").exists()

    # GTA mels one frame short for utt1
    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/bad.ark,{tmp_path}/bad.scp") as writer:
        for i in range(3):
            n = 1 + sf.info(str(data / f"utt{i}_tgt.wav")).frames // HOP - (i == 1)
            writer[f"utt{i}"] = np.zeros((n, 20), np.float32)
    with pytest.raises(ValueError, match=r"utt1: GTA feats have shape \(\d+, 20\), but its target speech"):
        vocoder_train.main(train_opts(data, tmp_path / "b", *gta_opts(tmp_path / "bad.scp")))

    # --init_param from a vocoder trained for other mels
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "config.yaml").write_text(yaml.safe_dump({"mel": dict(MEL, n_mels=80)}))
    torch.save({}, tmp_path / "c" / "gt.pth")
    with pytest.raises(ValueError, match=r"--init_param .*gt\.pth .*trained on other mels .*n_mels: vocoder 80"):
        vocoder_train.main(train_opts(data, tmp_path / "d", "--init_param", str(tmp_path / "c" / "gt.pth")))
