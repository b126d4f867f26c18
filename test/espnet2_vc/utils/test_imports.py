"""The utilities stay light: no espnet import, no cycle with the task."""

import subprocess
import sys

import pytest
import yaml


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_importing_the_utilities_imports_no_espnet():
    out = run(
        "import sys\n"
        "import espnet2_vc.utils.audio, espnet2_vc.utils.config, espnet2_vc.utils.frames, espnet2_vc.utils.kaldi\n"
        "import espnet2_vc.utils.checkpoint, espnet2_vc.data.dump, espnet2_vc.data.trim\n"
        "import espnet2_vc.durations.attention\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('espnet', 'espnet2')}))"
    )
    assert out.strip() == "[]"


def test_a_saved_configs_mel_settings_are_read_without_espnet(tmp_path):
    """What vc_train saves (complete confs) is read directly; a partial user config needs the registries."""
    mel = dict(fs=16000, n_fft=1024, win_length=None, hop_length=256, window="hann", center=True, normalized=False,
               onesided=True, n_mels=80, fmin=0, fmax=8000, htk=False, log_base=10.0)  # fmt: skip
    config = dict(feats_extract="fbank", feats_extract_conf=mel, tts="nars2s", tts_conf=dict(reduction_factor=2))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    out = run(
        "import sys\nfrom espnet2_vc.utils.config import mel_config, reduction_factor\n"
        f"m = mel_config({str(tmp_path / 'config.yaml')!r}); r = reduction_factor({str(tmp_path / 'config.yaml')!r})\n"
        "print(m['hop_length'], m['win_length'], r, 'espnet2' in sys.modules)"
    )
    assert out.split() == ["256", "1024", "2", "False"]


def test_a_built_model_saves_complete_confs():
    from espnet2_vc.tasks.vc import VCTask

    args = VCTask.get_parser().parse_args(["--output_dir", "unused", "--collect_stats", "true",
                                           "--feats_extract_conf", "hop_length=128"])  # fmt: skip
    args.tts_conf = dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=0,
                         use_pitch=False, use_energy=False)  # fmt: skip
    VCTask.build_model(args)
    from espnet2_vc.utils.config import MEL_KEYS

    assert set(MEL_KEYS) <= set(args.feats_extract_conf) and args.feats_extract_conf["hop_length"] == 128
    assert args.tts_conf["reduction_factor"] == 1 and args.tts_conf["adim"] == 8 and "idim" not in args.tts_conf


# espnet modules a conversion must not need (training's import chain: seconds of start-up, bench/startup.py).
TRAINING_ONLY = ("espnet2.tasks.abs_task", "espnet2.train.collate_fn", "espnet2.train.trainer",
                 "espnet2.train.preprocessor")  # fmt: skip
# Imported only to compile a network (--compile_conf): 0.6 s of every process's start-up otherwise.
COMPILE_ONLY = ("torch._dynamo",)
LOADED = (
    "import sys, types\n"
    "loaded = lambda names: [m for m in names if type(sys.modules.get(m)) is types.ModuleType]\n"
)


def test_converting_needs_no_training_import_chain(tiny_pack):
    """Loading a packed model and the model/vocoder builders import neither AbsTask nor its chain, nor
    torch.compile's tracer."""
    out = run(
        LOADED + "import espnet2_vc.tasks.vc_model, espnet2_vc.tasks.vocoder_model, espnet2_vc.vocoder.registry\n"
        f"from espnet2_vc import VoiceConverter\nVoiceConverter.from_pretrained({str(tiny_pack)!r})\n"
        f"print(loaded({TRAINING_ONLY + COMPILE_ONLY!r}))"
    )
    assert out.splitlines()[-1] == "[]"  # (espnet prints a flash-attention notice first)


def test_text_front_ends_are_deferred_until_used():
    """The task imports no inflect/nltk/wandb; espnet's English cleaner, once used, gets the real modules."""
    out = run(
        LOADED + "import espnet2_vc.tasks.vc, espnet2_vc.tasks.vocoder\n"
        "print(loaded(['inflect', 'nltk', 'g2p_en', 'tacotron_cleaner.cleaners', 'wandb']))\n"
        "from espnet2.text.cleaner import TextCleaner\n"
        "print(TextCleaner(['tacotron'])('Mr. Smith has 2 dogs.'))\n"
        "print(loaded(['inflect', 'tacotron_cleaner.cleaners']), callable(sys.modules['wandb'].init))"
    )
    assert out.splitlines()[-3:] == ["[]", "MISTER SMITH HAS TWO DOGS.",
                                     "['inflect', 'tacotron_cleaner.cleaners'] True"]


@pytest.mark.parametrize("conf, fs", [({"fs": 24000, "n_fft": 2048}, "24000 False"), ({"n_fft": 512}, "16000 True")])
def test_stage2_reads_the_rate_without_torch_when_the_config_states_it(tmp_path, conf, fs):
    """vc_dump needs only ``fs``: stated, it is read as is; left out, the mel extractor's default is looked up."""
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(dict(feats_extract_conf=conf)))
    out = run(
        "import sys\nfrom espnet2_vc.utils.config import sampling_rate\n"
        f"print(sampling_rate({str(tmp_path / 'c.yaml')!r}), 'torch' in sys.modules)"
    )
    assert out.splitlines()[-1] == fs


def test_a_bad_stated_rate_is_refused(tmp_path):
    from espnet2_vc.utils.config import sampling_rate

    with pytest.raises(ValueError, match="fs must be a positive integer"):
        sampling_rate(dict(feats_extract_conf=dict(fs="16k")))
