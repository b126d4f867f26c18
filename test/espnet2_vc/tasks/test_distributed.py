"""Two-process DDP on the CPU (gloo), launched as torchrun would (WORLD_SIZE, RANK, MASTER_* in the environment):
one step of the VC model and one GAN step of the vocoder leave both ranks with identical parameters, equal to a
single-process step on the whole batch; only rank 0 logs and writes tensorboard, wandb and checkpoints.

The data make the two computations the same sum: utterances of one length (no padding; every rank's mean is
over as many frames), no dropout or BatchNorm (per-rank batch statistics), plain SGD (the update is the
gradient, so a wrong reduction shows). Each rank saves its parameters before and after the run (test code below:
the trainer is wrapped, the package is not changed)."""

import importlib.util
import math
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import pytest
import torch
import yaml

FS, HOP, R, N = 8000, 64, 2, 4  # N utterances: one global batch, two per rank
SECONDS = 0.5

# Runs VCTask or VocoderTask.main with the trainer's run wrapped to save each rank's parameters.
WORKER = """
import os, sys, torch
from espnet2_vc.tasks.vc import VCTask
from espnet2_vc.tasks.vocoder import VocoderTask
task = {"vc": VCTask, "vocoder": VocoderTask}[sys.argv[1]]
out, rank = sys.argv[2], os.environ.get("RANK", "single")
run = task.trainer.run.__func__
def saving_run(cls, model, **kwargs):
    torch.save(model.state_dict(), f"{out}/before.{rank}.pth")
    run(cls, model=model, **kwargs)
    torch.save(model.state_dict(), f"{out}/after.{rank}.pth")
task.trainer.run = classmethod(saving_run)
task.main(cmd=sys.argv[3:])
"""


def tone(f0: float, seed: int) -> np.ndarray:
    t = np.arange(int(SECONDS * FS)) / FS
    wav = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5))
    return (0.1 * wav + 0.003 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_pairs) -> Path:
    root = tmp_path_factory.mktemp("ddp")
    write_pairs(root, [(f"utt{i}", tone(200 + 10 * i, i), tone(120 + 5 * i, 10 + i)) for i in range(N)], FS, HOP, R)
    mel = dict(fs=FS, n_fft=256, hop_length=HOP, n_mels=20, fmin=0, fmax=4000)
    zero = {k: 0.0 for k in ("postnet_dropout_rate", "duration_predictor_dropout_rate", "pitch_predictor_dropout",
                             "pitch_embed_dropout", "energy_predictor_dropout", "energy_embed_dropout")}  # fmt: skip
    for part in ("enc", "dec"):
        zero.update({f"transformer_{part}_{k}dropout_rate": 0.0 for k in ("", "positional_", "attn_")})
    common = dict(batch_type="unsorted", batch_size=N, max_epoch=1, num_iters_per_epoch=1, num_workers=0, seed=3,
                  use_matplotlib=False, optim="sgd", optim_conf=dict(lr=0.5))  # fmt: skip
    (root / "vc.yaml").write_text(yaml.safe_dump(dict(
        common, feats_extract="fbank", feats_extract_conf=mel, normalize=None, tgt_normalize=None,
        tts="nars2s", tts_conf=dict(zero, adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8,
                                    encoder_type="transformer", decoder_type="transformer", postnet_layers=1,
                                    postnet_chans=4, use_batch_norm=False, reduction_factor=R,
                                    duration_predictor_chans=4, pitch_predictor_chans=4, energy_predictor_chans=4),
        pitch_extract="dio", pitch_extract_conf=dict(f0min=60, f0max=400), energy_extract="energy",
    )))  # fmt: skip
    # One segment holds a whole utterance (no random crop), so both runs see the same samples.
    (root / "vocoder.yaml").write_text(yaml.safe_dump(dict(
        common, optim2="sgd", optim2_conf=dict(lr=0.5), generator="hifigan",
        generator_conf=dict(channels=8, upsample_scales=[8, 8], upsample_kernel_sizes=[16, 16],
                            resblock_kernel_sizes=[3], resblock_dilations=[[1, 3]]),
        discriminator="hifigan_multi_period",
        discriminator_conf=dict(periods=[2], discriminator_params=dict(channels=2, max_downsample_channels=4)),
        model_conf=dict(segment_size=HOP * math.ceil((1 + SECONDS * FS / HOP))),
        best_model_criterion=[["valid", "generator_mel_loss", "min"]],
    )))  # fmt: skip
    (root / "vc_model.yaml").write_text(yaml.safe_dump(dict(feats_extract="fbank", feats_extract_conf=mel)))
    return root


def task_args(task: str, data: Path, out: Path) -> List[str]:
    sets = [("wav.scp", "src_speech"), ("tgt_wav.scp", "tgt_speech")] if task == "vc" else [("tgt_wav.scp", "speech")]
    args = ["--config", str(data / f"{task}.yaml"), "--output_dir", str(out), "--ngpu", "0"]
    if task == "vocoder":
        args += ["--vc_config", str(data / "vc_model.yaml")]
    for mode in ("train", "valid"):
        for file, name in sets:
            args += [f"--{mode}_data_path_and_name_and_type", f"{data / file},{name},sound"]
        if task == "vc":
            args += [f"--{mode}_data_path_and_name_and_type", f"{data / 'durations'},durations,text_int"]
        args += [f"--{mode}_shape_file", str(data / "tgt_utt2num_samples")]
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(task: str, data: Path, out: Path, world_size: int, extra: List[str] = ()) -> Callable[[], List[str]]:
    """Start ``world_size`` processes as torchrun starts them; the returned call waits for them and gives each
    one's stderr."""
    out.mkdir(parents=True)
    port, procs = free_port(), []
    for rank in range(world_size):
        env = dict(os.environ, OMP_NUM_THREADS="1", WANDB_MODE="offline", WANDB_SILENT="true")
        args = task_args(task, data, out) + list(extra)
        if world_size > 1:
            env.update(WORLD_SIZE=str(world_size), RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
            args += ["--dist_backend", "gloo"]
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, task, str(out), *args], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))  # fmt: skip

    def finished() -> List[str]:
        logs = [p.communicate(timeout=300)[1] for p in procs]
        for rank, (p, log) in enumerate(zip(procs, logs)):
            assert p.returncode == 0, f"{out.name} rank {rank} failed:\n{log[-3000:]}"
        return logs

    return finished


def load(path: Path) -> Dict[str, torch.Tensor]:
    return {k: v.double() for k, v in torch.load(path, weights_only=True).items() if v.is_floating_point()}


@pytest.mark.parametrize("task", ["vc", "vocoder"])
def test_two_ranks_step_as_one_process_on_the_whole_batch(task, data, tmp_path):
    tracking = ["--use_tensorboard", "true"]
    wandb = task == "vc" and importlib.util.find_spec("wandb") is not None
    ddp = launch(task, data, tmp_path / "ddp", 2, tracking + ["--use_wandb", "true"] * wandb)
    single = launch(task, data, tmp_path / "single", 1)  # side by side (start-up is most of it)
    ddp_logs, _ = ddp(), single()
    before = load(tmp_path / "single" / "before.single.pth")
    single = load(tmp_path / "single" / "after.single.pth")
    rank0, rank1 = (load(tmp_path / "ddp" / f"after.{r}.pth") for r in (0, 1))
    assert before.keys() == single.keys() == rank0.keys() == rank1.keys()
    # The same start (one seed), a step that moves every part, and the ranks bit-identical after it.
    assert all(torch.equal(before[k], load(tmp_path / "ddp" / "before.0.pth")[k]) for k in before)
    moved = sum(float((single[k] - before[k]).norm() ** 2) for k in before) ** 0.5
    assert moved > 1e-3
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    # Each rank's half of the batch, averaged by DDP, is the step on the whole batch.
    diff = sum(float((rank0[k] - single[k]).norm() ** 2) for k in before) ** 0.5
    assert diff < 1e-5 * moved, f"DDP and single-process steps differ by {diff:.3g} (the step: {moved:.3g})"
    worst = max(before, key=lambda k: float((rank0[k] - single[k]).abs().max()))
    assert torch.allclose(rank0[worst], single[worst], rtol=1e-4, atol=1e-6), worst

    # Only rank 0 writes: its log has espnet's INFO lines tagged with the rank, rank 1 logs errors only; one
    # set of tensorboard events, one wandb run; checkpoints and config.yaml once.
    assert ":0/2]" in ddp_logs[0] and " INFO: " in ddp_logs[0]
    if task == "vc":  # the global batch of N, split: N / 2 per rank
        assert f"[train] {N / 2:.1f} pairs per batch (min {N // 2}, max {N // 2})" in ddp_logs[0]
    assert " INFO: " not in ddp_logs[1] and " WARNING: " not in ddp_logs[1], ddp_logs[1][-2000:]
    events = sorted(p.parent.name for p in (tmp_path / "ddp" / "tensorboard").rglob("events.out.tfevents.*"))
    assert events == ["train", "valid"]
    assert (tmp_path / "ddp" / "checkpoint.pth").exists() and (tmp_path / "ddp" / "config.yaml").exists()
    if wandb:
        assert len(list((tmp_path / "ddp" / "wandb").glob("offline-run-*"))) == 1
