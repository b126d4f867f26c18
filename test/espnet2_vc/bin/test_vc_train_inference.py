"""Train → collect stats → train → ``vc_inference`` on a tiny generated data dir, in one process."""

import logging
import re
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from espnet2_vc.bin import vc_inference, vc_train
from espnet2_vc.inference import VoiceConverter

FS, HOP, R = 8000, 80, 2


def tone(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A harmonic, slightly noisy signal (pitch trackers find an f0 in it)."""
    t = np.arange(int(seconds * FS)) / FS
    rng = np.random.default_rng(seed)
    wav = sum(np.sin(2 * np.pi * f0 * k * t * (1 + 0.05 * np.sin(t))) / k for k in range(1, 6))
    return (0.2 * wav / 3 + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, write_pairs) -> Path:
    root = tmp_path_factory.mktemp("data")
    pairs = [(f"utt{i}", tone(0.6 + 0.1 * i, 220, i), tone(0.8 + 0.05 * i, 120, 10 + i)) for i in range(4)]
    write_pairs(root, pairs, FS, HOP, R)
    (root / "keys").write_text("".join(f"utt{i} 1\n" for i in range(4)))
    config = dict(
        feats_extract="fbank", feats_extract_conf=dict(fs=FS, n_fft=256, hop_length=HOP, n_mels=20, fmin=0, fmax=4000),
        tts="nars2s", tts_conf=dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=1,
                                    postnet_chans=4, reduction_factor=R, duration_predictor_chans=4,
                                    pitch_predictor_chans=4, energy_predictor_chans=4),
        pitch_extract="dio", pitch_extract_conf=dict(f0min=60, f0max=400), pitch_normalize="global_mvn",
        energy_extract="energy", energy_normalize="global_mvn",
        max_epoch=1, batch_type="numel", batch_bins=30000, optim="adam", num_workers=0, use_matplotlib=False,
        use_tensorboard=False,
    )  # fmt: skip
    with open(root / "train.yaml", "w") as f:
        yaml.safe_dump(config, f)
    return root


def data_opts(root: Path, mode: str, durations: bool = True) -> list:
    names = [("wav.scp", "src_speech", "sound"), ("tgt_wav.scp", "tgt_speech", "sound")]
    if durations:
        names.append(("durations", "durations", "text_int"))
    opts = []
    for file, name, kind in names:
        opts += [f"--{mode}_data_path_and_name_and_type", f"{root / file},{name},{kind}"]
    return opts


def dumped_opts(stats: Path, mode: str, data_dir: Path) -> list:
    """The features stage 3 wrote (``collect_feats/*.scp``, npy) and the durations, as vc.sh stage 5 passes them."""
    opts = []
    for scp in sorted((stats / mode / "collect_feats").glob("*.scp")):
        if not scp.stem.endswith("_lengths"):
            opts += [f"--{mode}_data_path_and_name_and_type", f"{scp},{scp.stem},npy"]
    return opts + [f"--{mode}_data_path_and_name_and_type", f"{data_dir / 'durations'},durations,text_int"]


def test_collect_stats_train_and_convert(data_dir, tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)  # a recipe folder: the stats paths saved in config.yaml are relative to it
    caplog.set_level(logging.INFO)
    stats = Path("stats")
    vc_train.main([
        "--collect_stats", "true", "--write_collected_feats", "true", "--config", str(data_dir / "train.yaml"),
        "--output_dir", str(stats), "--train_shape_file", str(data_dir / "keys"),
        "--valid_shape_file", str(data_dir / "keys"),
        *data_opts(data_dir, "train", False), *data_opts(data_dir, "valid", False),
    ])  # fmt: skip
    for name in ("src_feats", "tgt_feats", "pitch", "energy"):
        assert (stats / "train" / f"{name}_stats.npz").exists()
        assert len((stats / "train" / "collect_feats" / f"{name}.scp").read_text().splitlines()) == 4
    exp = Path("exp")
    shapes = []
    for mode in ("train", "valid"):
        for name in ("src_speech", "tgt_speech"):
            shapes += [f"--{mode}_shape_file", str(stats / mode / f"{name}_shape")]
    vc_train.main([
        "--config", str(data_dir / "train.yaml"), "--output_dir", str(exp),
        "--normalize_conf", f"stats_file={stats / 'train/src_feats_stats.npz'}",
        "--tgt_normalize_conf", f"stats_file={stats / 'train/tgt_feats_stats.npz'}",
        "--pitch_normalize_conf", f"stats_file={stats / 'train/pitch_stats.npz'}",
        "--energy_normalize_conf", f"stats_file={stats / 'train/energy_stats.npz'}",
        *shapes, *dumped_opts(stats, "train", data_dir), *dumped_opts(stats, "valid", data_dir),
        "--scheduler", "warmuplr", "--scheduler_conf", "warmup_steps=1000",
    ])  # fmt: skip
    # The batches and the schedule are logged; a warmup longer than the run is called out.
    assert re.search(r"\[train\] [\d.]+ pairs per batch \(min \d+, max \d+\) over \d+ batches", caplog.text)
    assert "warmup_steps 1000 > the" in caplog.text
    model = exp / "valid.loss.best.pth"
    assert model.exists()
    saved = yaml.safe_load((exp / "config.yaml").read_text())
    assert saved["tts_conf"]["reduction_factor"] == R and saved["pitch_extract_conf"]["hop_length"] == HOP
    assert saved["trim_conf"] == {"trim": True, "trim_db": 30.0, "trim_margin": 0.05}
    assert saved["normalize_conf"]["stats_file"] == "stats/train/src_feats_stats.npz"

    # Fine-tuning from the exp dir: espnet's training loads it through the reporting loader (stats included).
    caplog.clear()
    vc_train.main([
        "--config", str(data_dir / "train.yaml"), "--output_dir", "exp_tuned", "--init_param", str(exp),
        *shapes, *dumped_opts(stats, "train", data_dir),
        *dumped_opts(stats, "valid", data_dir), "--max_epoch", "2",
        "--use_tensorboard", "true", "--use_matplotlib", "true", "--num_att_plot", "1", "--plot_interval", "2",
        "--normalize_conf", f"stats_file={stats / 'train/src_feats_stats.npz'}",
        "--tgt_normalize_conf", f"stats_file={stats / 'train/tgt_feats_stats.npz'}",
        "--pitch_normalize_conf", f"stats_file={stats / 'train/pitch_stats.npz'}",
        "--energy_normalize_conf", f"stats_file={stats / 'train/energy_stats.npz'}",
    ])  # fmt: skip
    n_tensors = len(torch.load(model, weights_only=True))
    assert f"--init_param exp: loaded {n_tensors} tensors, skipped 0 of another shape" in caplog.text
    assert "normalization statistics from the pretrained model: energy_normalize, pitch_normalize" in caplog.text
    # Watching it: per-loss scalars, and at epoch 2 (--plot_interval) images and audio of the first dev utterance.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator("exp_tuned/tensorboard/train", size_guidance={"images": 0, "audio": 0}).Reload()
    tags, valid = events.Tags(), EventAccumulator("exp_tuned/tensorboard/valid").Reload().Tags()
    losses = {"l1_loss", "before_postnet_l1", "after_postnet_l1", "duration_loss", "pitch_loss", "energy_loss"}
    assert losses | {"optim0_lr0", "grad_norm"} <= set(tags["scalars"]) and losses <= set(valid["scalars"])
    assert set(tags["images"]) == {f"utt0/{name}" for name in ("mel", "durations", "pitch", "energy")}
    assert tags["audio"] == ["utt0/converted"] and [e.step for e in events.Audio("utt0/converted")] == [2]
    pictures = sorted(p.name for p in Path("exp_tuned/images/utt0").iterdir())
    assert pictures == ["converted.2ep.wav", "durations.2ep.png", "energy.2ep.png", "mel.2ep.png", "pitch.2ep.png"]

    # Free-running conversion: the output has sum(predicted durations) × r frames.
    out = tmp_path / "decode"
    vc_inference.main([
        "--train_config", str(exp / "config.yaml"), "--model_file", str(model), "--output_dir", str(out),
        "--data_path_and_name_and_type", f"{data_dir / 'wav.scp'},src_speech,sound",
        "--vocoder_conf", "griffin_lim_iters=2",
    ])  # fmt: skip
    feats = dict(kaldiio.load_scp(str(out / "denorm" / "feats.scp")))
    durations = {ln.split()[0]: list(map(int, ln.split()[1:])) for ln in open(out / "durations" / "durations")}
    assert sorted(feats) == [f"utt{i}" for i in range(4)]
    for utt, mel in feats.items():
        assert mel.shape == (sum(durations[utt]) * R, 20)
        assert (out / "wav" / f"{utt}.wav").exists()

    # Teacher forcing: the reference durations, so exactly the target's frames (sum × r trimmed to it).
    tf = tmp_path / "decode_tf"
    vc_inference.main([
        "--train_config", str(exp / "config.yaml"), "--model_file", str(model), "--output_dir", str(tf),
        *sum((["--data_path_and_name_and_type", f"{data_dir / f},{n},{k}"] for f, n, k in (
            ("wav.scp", "src_speech", "sound"), ("tgt_wav.scp", "tgt_speech", "sound"),
            ("durations", "durations", "text_int"))), []),
        "--use_teacher_forcing", "true", "--vocoder", "none",
    ])  # fmt: skip
    reference = {ln.split()[0]: list(map(int, ln.split()[1:])) for ln in open(data_dir / "durations")}
    for utt, mel in kaldiio.load_scp(str(tf / "denorm" / "feats.scp")).items():
        n_tgt = 1 + sf.info(str(data_dir / f"{utt}_tgt.wav")).frames // HOP
        assert mel.shape[0] == n_tgt
        assert sum(reference[utt]) * R - R < n_tgt <= sum(reference[utt]) * R

    # From any folder: the relative stats paths are found from the experiment folder.
    monkeypatch.chdir(data_dir)
    vc = VoiceConverter.from_pretrained(tmp_path / "exp", vocoder="none")
    quiet = 3e-4 * np.random.default_rng(0).standard_normal(FS // 2).astype(np.float32)  # 45 dB down
    padded = np.concatenate([quiet, tone(0.6, 220, 0), quiet])
    # Edge silence is trimmed as stage 2 trimmed the training audio (trim_conf), unless switched off.
    trimmed, whole = vc(padded)["duration"], VoiceConverter.from_pretrained(tmp_path / "exp", trim=False,
                                                                          vocoder="none")(padded)["duration"]
    frames = lambda n: (1 + n // HOP) // R  # noqa: E731
    assert len(whole) == frames(len(padded))
    assert frames(int(0.6 * FS)) <= len(trimmed) <= frames(int(0.8 * FS))  # 0.6 s of tone + 2 x 0.05 s margins
    yaml_text = (tmp_path / "exp" / "config.yaml").read_text().replace("stats/train/", "nowhere/")
    (tmp_path / "moved.yaml").write_text(yaml_text)
    with pytest.raises(FileNotFoundError, match="normalize_conf.stats_file nowhere/src_feats_stats.npz"):
        VoiceConverter(tmp_path / "moved.yaml", tmp_path / "exp" / "valid.loss.best.pth")


def test_inference_refuses_wrong_rate(data_dir, tmp_path):
    wav = tmp_path / "x.wav"
    sf.write(wav, tone(0.3, 200, 0), 16000)
    (tmp_path / "wav.scp").write_text(f"x {wav}\n")
    with pytest.raises(SystemExit, match="16000 Hz but the model expects 8000 Hz"):
        vc_inference.main(["--train_config", str(data_dir / "train.yaml"), "--model_file", "unused.pth",
                           "--output_dir", str(tmp_path / "o"),
                           "--data_path_and_name_and_type", f"{tmp_path / 'wav.scp'},src_speech,sound"])
