"""Configs with impossible values or unknown keys: refused when the model is built (vc_train, conversion),
naming the setting, before espnet's layers fail on it somewhere inside."""

import pytest
import yaml

from espnet2_vc.utils.config import mel_config

MEL = dict(fs=16000, n_fft=512, hop_length=128, n_mels=20, fmin=0, fmax=8000)


@pytest.mark.parametrize("change, message", [
    (dict(hop_length=-128), "hop_length must be a positive integer, not -128"),
    (dict(hop_length=0), "hop_length must be a positive integer, not 0"),
    (dict(fs=0), "fs must be a positive integer"),
    (dict(n_mels="80"), "n_mels must be a positive integer, not '80'"),
    (dict(win_length=1024), "win_length 1024 must be a positive integer <= n_fft 512"),
    (dict(fmax=12000), r"need 0 <= fmin < fmax <= fs / 2 = 8000 Hz, got fmin 0, fmax 12000"),
    (dict(fmin=9000, fmax=None), r"fmin 9000, fmax 8000"),
], ids=["negative_hop", "zero_hop", "fs_zero", "n_mels_text", "window_over_n_fft", "fmax_over_nyquist",
        "fmin_over_fmax"])  # fmt: skip
def test_an_impossible_mel_setting_is_refused_naming_it(tmp_path, change, message):
    from espnet2_vc.tasks.vc import VCTask

    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(dict(feats_extract="fbank", feats_extract_conf={**MEL, **change})))
    args = VCTask.get_parser().parse_args(["--config", str(path), "--output_dir", str(tmp_path),
                                           "--collect_stats", "true"])  # fmt: skip
    with pytest.raises(ValueError, match=message):
        VCTask.build_model(args)
    with pytest.raises(ValueError, match=message):  # every tool reading the mel settings of a config
        mel_config(str(path))


@pytest.mark.parametrize("tts_conf, message", [
    (dict(reduction_factor=0), "reduction_factor must be >= 1: 0"),
    (dict(adimm=8), "adimm"),
], ids=["reduction_factor_zero", "unknown_network_key"])  # fmt: skip
def test_an_impossible_network_setting_is_refused(tmp_path, tts_conf, message):
    from espnet2_vc.tasks.vc import VCTask

    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(dict(feats_extract_conf=MEL, tts="nars2s", tts_conf=tts_conf)))
    args = VCTask.get_parser().parse_args(["--config", str(path), "--output_dir", str(tmp_path),
                                           "--collect_stats", "true"])  # fmt: skip
    with pytest.raises(ValueError, match=message):
        VCTask.build_model(args)


def test_an_input_shorter_than_the_reduction_factor_is_refused():
    import torch

    from espnet2_vc.vc.nars2s.nars2s import NARS2S

    model = NARS2S(idim=4, odim=4, adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, reduction_factor=4,
                   use_pitch=False, use_energy=False).eval()  # fmt: skip
    with pytest.raises(ValueError, match="source has 3 frames, fewer than the reduction factor 4"):
        model.inference(torch.zeros(3, 4))
