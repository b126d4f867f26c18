"""``vc.sh --cmd slurm`` on a Slurm cluster on this machine (slurmctld and two slurmd on localhost,
tools/local_slurm.sh): stages 4 (durations) and 6 (vocoder: ground-truth training, GTA decoding as a job array,
fine-tuning) of a tiny mini recipe give the outputs of ``--cmd local``, file for file and tensor for tensor;
``--num_nodes 2`` trains over both nodes (espnet's Slurm launcher, gloo); a failing array task is named with
its log. Needs root and Debian's slurm-wlm and munge (tools/install.sh installs them); skipped only without
them. About 2.5 minutes on 2 cores (the two backends run side by side)."""

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Dict, List

import kaldiio
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
VOC = "exp/voc_vocoder_debug"
ARGS = ["--train_config", "conf/train_debug.yaml", "--db_root", "downloads/mini_flite", "--srcspk", "slt",
        "--tgtspk", "rms", "--train_set", "train", "--valid_set", "dev", "--test_sets", "eval", "--nj", "2",
        "--ngpu", "0", "--tag", "debug", "--local_data_opts", "--num_sentences 12 --n_dev 2 --n_eval 2",
        "--train_args", "--max_epoch 2 --num_iters_per_epoch 3", "--vocoder_config", "conf/vocoder_debug.yaml",
        "--vocoder_args", "--max_epoch 1 --num_iters_per_epoch 3"]  # fmt: skip


@pytest.fixture(scope="module")
def slurm(tmp_path_factory) -> Dict[str, str]:
    """A two-node Slurm cluster on this machine for the module; the environment that reaches it."""
    missing = [tool for tool in ("slurmctld", "slurmd", "sbatch", "munged") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        pytest.skip(f"needs root and apt-get install slurm-wlm munge (missing: {missing or 'root'})")
    folder = tmp_path_factory.mktemp("slurm")
    start = subprocess.run([ROOT / "tools" / "local_slurm.sh", "start", folder, "2"], capture_output=True, text=True)
    assert start.returncode == 0, start.stdout + start.stderr
    yield dict(os.environ, SLURM_CONF=str(folder / "slurm.conf"))
    subprocess.run([ROOT / "tools" / "local_slurm.sh", "stop", folder], check=True)


def vc_sh(recipe: Path, env: Dict[str, str], *args: str) -> str:
    env = dict(env, PATH=f"{Path(sys.executable).parent}:{env['PATH']}", OMP_NUM_THREADS="1")
    proc = subprocess.run(["./vc.sh", *ARGS, *args], cwd=recipe, env=env, capture_output=True, text=True,
                          timeout=900)  # a job the cluster can never run would wait in its queue for ever
    assert proc.returncode == 0, f"vc.sh {' '.join(args)} failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
    return proc.stdout


def in_parallel(*calls: Callable[[], str]) -> List[str]:
    results, errors = [None] * len(calls), []

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as e:  # noqa: BLE001  (re-raised below)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def mels(recipe: Path, scp: Path) -> Dict[str, np.ndarray]:
    with contextlib.chdir(recipe):  # the scp's paths are relative to the recipe
        return {utt: np.array(mel) for utt, mel in kaldiio.load_scp(str(scp)).items()}


def state(path: Path) -> Dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def local(slurm, recipe_copy, tmp_path_factory) -> Path:
    """The tiny recipe through stage 5 with --cmd local."""
    recipe = recipe_copy(tmp_path_factory.mktemp("local"))
    vc_sh(recipe, slurm, "--stop_stage", "5")
    return recipe


def test_stages_4_and_6_through_slurm_equal_local(slurm, local, recipe_copy, tmp_path):
    # The Slurm copy starts from the local stages 1-3 and 5 (stage 5 is then up to date: same durations).
    queued = recipe_copy(tmp_path / "slurm")
    for part in ("downloads", "data", "dump/raw", "exp/vc_stats", "exp/vc_train_debug"):
        shutil.copytree(local / part, queued / part, symlinks=True)
    out_local, out_slurm = in_parallel(
        lambda: vc_sh(local, slurm, "--stage", "6", "--stop_stage", "6"),
        lambda: vc_sh(queued, slurm, "--stage", "4", "--stop_stage", "6", "--cmd", "slurm"),
    )
    assert "exp/vc_train_debug is up to date" in out_slurm
    assert "through Slurm" in out_slurm and "through Slurm" not in out_local
    # Slurm ran them: each job's script and id beside its logs (durations, trainings, GTA arrays).
    gta = next(queued.glob("exp/vc_train_debug/decode_gta_*")).relative_to(queued)  # of the decoded checkpoint
    for folder in ("dump/durations/log", f"{VOC}_gt", f"{VOC}_gta", gta / "train/log"):
        assert list((queued / folder / "q").glob("*.id")), f"no Slurm job for {folder}"

    for name in ("train", "dev", "eval"):
        for file in ("durations", "skipped"):
            rel = f"dump/durations/{name}/{file}"
            assert (queued / rel).read_bytes() == (local / rel).read_bytes(), rel
    for name in ("train", "dev"):
        ours, theirs = (mels(recipe, gta / name / "denorm/feats.scp") for recipe in (queued, local))
        assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours), name
    for exp in (f"{VOC}_gt", f"{VOC}_gta"):
        ours, theirs = state(queued / exp / "latest.pth"), state(local / exp / "latest.pth")
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), f"{exp}: Slurm and local trainings differ"


def test_training_over_two_nodes(slurm, local):
    """One srun task per node, each a rank (--ngpu 0: gloo); rank 0 alone logs and saves."""
    out = vc_sh(local, slurm, "--stage", "5", "--stop_stage", "5", "--cmd", "slurm", "--num_nodes", "2",
                "--train_nthreads", "1", "--tag", "two_nodes")  # fmt: skip
    assert "0 GPUs x 2 nodes" in out
    log = (local / "exp/vc_train_two_nodes/train.log").read_text()
    assert log.startswith("# srun ") and log.rstrip().endswith("with status 0")
    assert ":0/2] " in log and ":1/2] " not in log  # espnet's rank tag; rank 1 logs errors only
    assert "[train] 4.0 pairs per batch (min 4, max 4)" in log  # the 8 training pairs, half on each node
    assert (local / "exp/vc_train_two_nodes/2epoch.pth").exists()
    jobs = list((local / "exp/vc_train_two_nodes/q").glob("train.sh"))
    assert jobs and "--nodes 2 --ntasks-per-node 1" in jobs[0].read_text()


def test_failed_array_task_is_named_with_its_log(slurm, tmp_path):
    (tmp_path / "conf").mkdir()
    shutil.copy(ROOT / "egs" / "TEMPLATE" / "vc1" / "conf" / "slurm.conf", tmp_path / "conf")
    jobs = ROOT / "egs" / "TEMPLATE" / "vc1" / "utils" / "slurm_jobs.sh"
    proc = subprocess.run([jobs, "--num_threads", "1", "JOB=1:3", "log/work.JOB.log", "bash", "-c",
                           "echo task JOB; [ JOB != 2 ] || exit 7"], cwd=tmp_path, env=slurm,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 1
    assert "job 2 failed, see log/work.2.log" in proc.stderr and "1 of 3 jobs failed" in proc.stderr
    assert "with status 7" in proc.stderr  # the tail of its log
    assert (tmp_path / "log/work.1.log").read_text().splitlines()[2] == "task 1"
    assert (tmp_path / "log/work.3.log").read_text().rstrip().endswith("with status 0")
