import io
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from espnet2_vc.tasks.vc import VCTask

TINY_TTS = dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=1, postnet_chans=4,
                duration_predictor_chans=4, pitch_predictor_chans=4, energy_predictor_chans=4)  # fmt: skip


def make_args(**kwargs):
    """Parsed VCTask options for a tiny model (no stats files needed: collect_stats mode)."""
    parser = VCTask.get_parser()
    args = parser.parse_args(["--output_dir", "unused", "--collect_stats", "true"])
    args.feats_extract_conf = dict(fs=16000, n_fft=512, hop_length=128, n_mels=20)
    args.tts_conf = dict(TINY_TTS)
    args.pitch_extract, args.energy_extract = "dio", "energy"
    for key, value in kwargs.items():
        setattr(args, key, value)
    return args


def test_print_config_in_process(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["vc_train", "--print_config", "--tts", "nars2s", "--tts_conf",
                                      "reduction_factor=3"])  # fmt: skip
    out = io.StringIO()
    VCTask.print_config(file=out)
    config = yaml.safe_load(out.getvalue())
    assert config["tts_conf"]["reduction_factor"] == 3
    assert config["tts_conf"]["adim"] == 256  # class defaults are filled in
    assert config["feats_extract_conf"]["hop_length"] == 256


def test_print_config_states_the_trimming(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["vc_train", "--print_config", "--trim_conf", "trim_db=35"])
    out = io.StringIO()
    VCTask.print_config(file=out)
    assert yaml.safe_load(out.getvalue())["trim_conf"] == {"trim": True, "trim_db": 35, "trim_margin": 0.05}
    monkeypatch.setattr(sys, "argv", ["vc_train", "--print_config", "--trim_conf", "trim_dB=35"])
    with pytest.raises(ValueError, match=r"trim_conf: unknown key\(s\) \['trim_dB'\]"):
        VCTask.print_config(file=io.StringIO())


def test_print_config_unknown_key(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["vc_train", "--print_config", "--tts_conf", "reduction_fator=3"])
    with pytest.raises(ValueError, match=r"--tts_conf: unknown key\(s\) \['reduction_fator'\]"):
        VCTask.print_config(file=io.StringIO())


def test_print_config_cli():
    """The documented command, as a user types it."""
    cmd = [sys.executable, "-m", "espnet2_vc.bin.vc_train", "--print_config", "--tts", "nars2s",
           "--tts_conf", "reduction_factor=3"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert yaml.safe_load(proc.stdout)["tts_conf"]["reduction_factor"] == 3


def test_build_model_fills_frame_settings():
    args = make_args()
    model = VCTask.build_model(args)
    assert model.src_normalize is None  # collect_stats mode: no stats yet
    assert args.pitch_extract_conf["hop_length"] == 128 and args.pitch_extract_conf["fs"] == 16000
    assert args.energy_extract_conf["n_fft"] == 512
    assert args.pitch_extract_conf["use_token_averaged_f0"] is False


@pytest.mark.parametrize("option, conf, message", [
    ("pitch_extract_conf", dict(hop_length=256), "pitch/energy frames must match"),
    ("pitch_extract_conf", dict(use_token_averaged_f0=True), "not supported"),
    ("energy_extract_conf", dict(bogus=1), r"unknown key\(s\) \['bogus'\]"),
    ("tts_conf", dict(TINY_TTS, bogus=1), r"--tts_conf: unknown key\(s\) \['bogus'\]"),
])  # fmt: skip
def test_build_model_refuses(option, conf, message):
    with pytest.raises(ValueError, match=message):
        VCTask.build_model(make_args(**{option: conf}))


def test_prosody_network_needs_extractors():
    with pytest.raises(ValueError, match="--pitch_extract is not set"):
        VCTask.build_model(make_args(pitch_extract=None))
    model = VCTask.build_model(make_args(pitch_extract=None, energy_extract=None,
                                         tts_conf=dict(TINY_TTS, use_pitch=False, use_energy=False)))  # fmt: skip
    assert model.pitch_extract is None


def _wav_batch():
    torch.manual_seed(0)
    src, tgt = torch.randn(2, 16000) * 0.1, torch.randn(2, 20000) * 0.1
    return src, torch.tensor([16000, 12000]), tgt, torch.tensor([20000, 15000])


def test_collect_feats_keys():
    model = VCTask.build_model(make_args())
    feats = model.collect_feats(*_wav_batch())
    assert {"src_feats", "tgt_feats", "pitch", "energy"} <= set(feats)
    assert feats["src_feats_lengths"].tolist() == [1 + 16000 // 128, 1 + 12000 // 128]
    assert feats["pitch"].shape[:2] == feats["tgt_feats"].shape[:2]


@pytest.mark.parametrize("reduction_factor", [1, 3])
def test_durations_that_do_not_fit_name_the_utterance(reduction_factor):
    model = VCTask.build_model(make_args(tts_conf=dict(TINY_TTS, reduction_factor=reduction_factor)))
    src, src_len, tgt, tgt_len = _wav_batch()
    ns = [(1 + n // 128) // reduction_factor for n in (16000, 12000)]
    nt = [-(-(1 + n // 128) // reduction_factor) for n in (20000, 15000)]
    ds = torch.zeros(2, ns[0], dtype=torch.long)
    ds[0, 0], ds[1, 0] = nt[0], nt[1]
    ds[1, 0] += 1
    with pytest.raises(ValueError, match=r"^bad: durations have \d+ values summing to"):
        model(src, src_len, tgt, tgt_len, ds, torch.tensor(ns), utt_id=["good", "bad"])
    ds[1, 0] -= 1
    loss, _, _ = model(src, src_len, tgt, tgt_len, ds, torch.tensor(ns), utt_id=["good", "bad"])
    assert torch.isfinite(loss)


def test_build_model_from_file_is_strict(tmp_path):
    args = make_args(collect_stats=False, normalize=None, tgt_normalize=None)
    model = VCTask.build_model(args)
    config = tmp_path / "config.yaml"
    with config.open("w") as f:
        yaml.safe_dump(vars(args), f)
    state = model.state_dict()
    torch.save(state, tmp_path / "ok.pth")
    loaded, _ = VCTask.build_model_from_file(config, tmp_path / "ok.pth")
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())
    state["tts.extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "extra.pth")
    with pytest.raises(RuntimeError, match=r"extra.pth: does not fit.*unexpected \['tts.extra.weight'\]"):
        VCTask.build_model_from_file(config, tmp_path / "extra.pth")
    torch.save({"x": np.zeros(1)}, tmp_path / "pickle.pth")  # not a plain tensor dict
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        VCTask.build_model_from_file(config, tmp_path / "pickle.pth")

