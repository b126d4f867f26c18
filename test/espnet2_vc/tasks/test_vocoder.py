"""VocoderTask: mel settings read from the VC config, every stated mismatch refused, the shipped configs dry-run."""

import io
import logging
import re
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from espnet2_vc.tasks.vocoder import VocoderTask
from espnet2_vc.utils.config import mel_config

ROOT = Path(__file__).resolve().parents[3]
TINY = ["--generator_conf", "channels=16", "--generator_conf", "upsample_scales=[8, 8, 4]",
        "--generator_conf", "upsample_kernel_sizes=[16, 16, 8]", "--generator_conf", "resblock_kernel_sizes=[3]",
        "--generator_conf", "resblock_dilations=[[1, 3]]", "--discriminator", "hifigan_multi_period",
        "--discriminator_conf", "periods=[2]",
        "--discriminator_conf", "discriminator_params={channels: 2, max_downsample_channels: 4}",
        "--model_conf", "segment_size=2048"]  # fmt: skip


def write_vc_config(path: Path, **mel) -> str:
    conf = dict(fs=16000, n_fft=1024, hop_length=256, n_mels=80, fmin=80, fmax=7600, log_base=10.0)
    conf.update(mel)
    path.write_text(yaml.safe_dump(dict(feats_extract="fbank", feats_extract_conf=conf, tts="nars2s")))
    return str(path)


@pytest.fixture
def vc(tmp_path) -> str:
    return write_vc_config(tmp_path / "vc.yaml")


def make_args(vc: str, *extra: str):
    return VocoderTask.get_parser().parse_args(["--vc_config", vc, "--output_dir", "unused", *TINY, *extra])


def test_mel_settings_come_from_the_vc_config(vc):
    args = make_args(vc)
    model = VocoderTask.build_model(args)
    assert args.mel == mel_config(vc)  # saved in config.yaml for decoding
    assert model.generator.input_conv.in_channels == 80 and model.generator.upsample_factor == 256
    assert model.mel_loss.wav_to_mel.hop_length == 256 and model.mel_loss.wav_to_mel.fmax == 7600


@pytest.mark.parametrize("key, value", [("fs", 22050), ("n_fft", 2048), ("hop_length", 128), ("fmin", 0),
                                        ("fmax", 8000), ("n_mels", 40), ("log_base", None)])  # fmt: skip
def test_stated_mel_setting_refused(vc, key, value):
    """A vocoder config stating its own fs / n_fft / hop / fmin / fmax / n_mels / log_base is refused."""
    args = make_args(vc, "--model_conf", f"mel_loss_params={{{key}: {yaml.safe_dump(value).splitlines()[0]}}}")
    with pytest.raises(ValueError, match=rf"--model_conf mel_loss_params: {key}=.* differ from the mel settings of "
                                         rf"the VC config {vc}"):  # fmt: skip
        VocoderTask.build_model(args)


@pytest.mark.parametrize(
    "extra, message",
    [(["--generator_conf", "in_channels=40"], r"--generator_conf: in_channels=40 \(VC: n_mels=80\)"),
     (["--generator_conf", "upsample_scales=[8, 8, 2]", "--generator_conf", "upsample_kernel_sizes=[16, 16, 4]"],
      r"upsample_scales \[8, 8, 2\] multiply to 128, but the VC config's hop_length is 256"),
     (["--mel", "hop_length=200"], r"--mel hop_length=200 \(VC: 256\) differ from"),
     (["--generator_conf", "chanels=4"], r"--generator_conf: unknown key\(s\) \['chanels'\]"),
     (["--model_conf", "mel_loss_params={n_mel: 80}"], r"mel_loss_params_conf: unknown key\(s\) \['n_mel'\]")],
)  # fmt: skip
def test_mismatch_refused(vc, extra, message):
    with pytest.raises(ValueError, match=message):
        VocoderTask.build_model(make_args(vc, *extra))


def test_vc_config_required():
    args = VocoderTask.get_parser().parse_args(["--output_dir", "unused", *TINY])
    with pytest.raises(ValueError, match="--vc_config is required"):
        VocoderTask.build_model(args)


def test_print_config_then_reload(vc, tmp_path, monkeypatch):
    """The printed config (class defaults filled in) reloads with --config and builds the same model."""
    monkeypatch.setattr(sys, "argv", ["vocoder_train", "--print_config", *TINY])
    out = io.StringIO()
    VocoderTask.print_config(file=out)
    config = yaml.safe_load(out.getvalue())
    assert config["generator_conf"]["channels"] == 16 and config["generator_conf"]["kernel_size"] == 7
    assert config["model_conf"]["lambda_mel"] == 45.0 and config["model_conf"]["lambda_feat_match"] == 2.0
    config.pop("vc_config")
    (tmp_path / "printed.yaml").write_text(yaml.safe_dump(config))
    args = VocoderTask.get_parser().parse_args(["--config", str(tmp_path / "printed.yaml"), "--vc_config", vc,
                                                "--output_dir", "unused"])  # fmt: skip
    assert VocoderTask.build_model(args).segment_size == 2048


def test_print_config_unknown_key(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["vocoder_train", "--print_config", "--model_conf", "lambda_mell=1"])
    with pytest.raises(ValueError, match=r"--model_conf: unknown key\(s\) \['lambda_mell'\]"):
        VocoderTask.print_config(file=io.StringIO())


def test_build_model_from_file_uses_saved_mel(vc, tmp_path):
    """Decoding rebuilds from config.yaml's saved mel settings, even when the VC config has moved."""
    args = make_args(vc)
    model = VocoderTask.build_model(args)
    torch.save(model.state_dict(), tmp_path / "voc.pth")
    saved = vars(args)
    saved["vc_config"] = str(tmp_path / "gone.yaml")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(saved))
    again, _ = VocoderTask.build_model_from_file(None, tmp_path / "voc.pth")
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    torch.save({k: v for k, v in model.state_dict().items() if "output_conv" not in k}, tmp_path / "part.pth")
    with pytest.raises(RuntimeError, match=r"part\.pth: does not fit the model .* missing \[.*'generator\.output_conv"):
        VocoderTask.build_model_from_file(tmp_path / "config.yaml", tmp_path / "part.pth")



def test_decoding_builds_and_loads_the_generator_alone(vc, tmp_path, caplog):
    """Decoding loads the generator without building the discriminator, strictly on the generator's tensors."""
    from espnet2_vc.tasks.vocoder_model import generator_from_file

    args = make_args(vc)
    model = VocoderTask.build_model(args)
    torch.save(model.state_dict(), tmp_path / "voc.pth")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    with caplog.at_level(logging.INFO):
        generator = generator_from_file(None, tmp_path / "voc.pth")
    assert type(generator) is type(model.generator)
    assert generator.state_dict().keys() == model.generator.state_dict().keys()
    for k, v in model.generator.state_dict().items():
        assert torch.equal(v, generator.state_dict()[k]), k
    n_other = len(model.state_dict()) - len(model.generator.state_dict())
    assert n_other > 0 and f"{n_other} other tensors, for training only, not loaded" in caplog.text
    torch.save({k: v for k, v in model.state_dict().items() if "output_conv" not in k}, tmp_path / "part.pth")
    with pytest.raises(RuntimeError, match=r"part\.pth \(generator\.\*\): does not fit .* missing \[.*'output_conv"):
        generator_from_file(tmp_path / "config.yaml", tmp_path / "part.pth")

# Every vocoder config the recipes ship, with the VC config it is meant for (links resolved, each pair once);
# the hop-256 template is also dry-run against a 22.05 kHz VC config (arctic links the same file for 16 kHz).
VC_FOR = {"arctic": "egs/arctic/vc1/conf/train.yaml", "mini_flite": "egs/mini_flite/vc1/conf/train_debug.yaml",
          "jvs": "egs/jvs/vc1/conf/train.yaml", "jsut_jsss": "egs/jsut_jsss/vc1/conf/train.yaml",
          "jsut_jsss_jvs": "egs/jsut_jsss_jvs/vc1/conf/train.yaml",
          "vocoder_hifigan_hop300.yaml": "egs/TEMPLATE/vc1/conf/train_nars2s_24k.yaml",
          "vocoder_vocos_hop300.yaml": "egs/TEMPLATE/vc1/conf/train_nars2s_24k.yaml"}  # fmt: skip
VC22K = "22.05 kHz"


def config_pairs() -> dict:
    """``{(vocoder config, VC config): id}`` over every egs/*/vc1/conf/vocoder*.yaml, by resolved path."""
    pairs = {}
    for path in sorted(ROOT.glob("egs/*/vc1/conf/vocoder*.yaml")):
        vc = VC_FOR.get(path.parts[-4]) or VC_FOR.get(path.name, VC22K)
        vc = vc if vc == VC22K else str((ROOT / vc).resolve())
        pairs.setdefault((str(path.resolve()), vc), str(path.relative_to(ROOT)))
    return pairs


VOCODER_CONFIGS = config_pairs()


def test_vocoder_configs_found():
    names = {Path(p).name for p in VOCODER_CONFIGS.values()}
    assert {"vocoder_hifigan.yaml", "vocoder_debug.yaml", "vocoder_hifigan_hop256.yaml",
            "vocoder_hifigan_hop300.yaml", "vocoder_vocos_hop256.yaml", "vocoder_vocos_hop300.yaml",
            "vocoder_vocos_cpu.yaml", "vocoder_vocos.yaml"} <= names  # fmt: skip
    for corpus in ("arctic", "jvs", "jsut_jsss", "jsut_jsss_jvs", "mini_flite"):
        run_sh = (ROOT / "egs" / corpus / "vc1" / "run.sh").read_text()
        # Every vocoder a run.sh names (arctic's CPU default is "", Griffin-Lim; its GPU line names one).
        configs = [c.strip("'\"") for c in re.findall(r"--vocoder_config (\S+)", run_sh)]
        assert any(configs), f"{corpus}: run.sh names no vocoder config"
        for config in filter(None, configs):
            assert (ROOT / "egs" / corpus / "vc1" / config).is_file(), f"{corpus}: {config}"


@pytest.mark.parametrize("config, vc", VOCODER_CONFIGS, ids=list(VOCODER_CONFIGS.values()))
def test_config_dry_run(config, vc, tmp_path):
    """Strict parsing, the model built against its VC config, one discriminator and one generator step.

    Full-size configs run their step on a short segment (the config is still parsed and checked in full).
    """
    if vc == VC22K:
        vc = write_vc_config(tmp_path / "vc22k.yaml", fs=22050, n_fft=1024, hop_length=256, n_mels=80, fmin=0,
                             fmax=11025)  # fmt: skip
    args = VocoderTask.get_parser().parse_args(["--config", config, "--vc_config", vc, "--output_dir", "x"])
    start = time.perf_counter()
    model = VocoderTask.build_model(args)
    assert model.hop_length == mel_config(vc)["hop_length"] and args.mel["fs"] == mel_config(vc)["fs"]
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > 1e6:
        model.segment_size = 2 * model.hop_length * 4
    optims = VocoderTask.build_optimizers(args, model)
    model.train()
    speech = 0.1 * torch.randn(2, model.segment_size + 1000)
    lengths = torch.tensor([speech.size(1), speech.size(1) - 500])
    for turn in (False, True):
        out = model(speech, lengths, forward_generator=turn)
        assert torch.isfinite(out["loss"])
        out["loss"].backward()
        optims[out["optim_idx"]].step()
        for o in optims:
            o.zero_grad()
    seconds = time.perf_counter() - start
    print(f"{Path(config).name}: {n_params / 1e6:.2f} M parameters, build + 2 steps {seconds:.1f} s")
