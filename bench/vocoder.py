"""Vocoders side by side on the shared ARCTIC target speaker: training at equal time, then synthesis speed and
analysis-synthesis quality on the recipe's dev utterances, Griffin-Lim the anchor (same run, same mels).

Usage (CPU, 2 cores; what doc/vocoder.md reports):
    python bench/vocoder.py --minutes 30 --jobs 2             # Vocos CPU config and HiFi-GAN V1, 30 min each
    python bench/vocoder.py --rtf_only                        # synthesis speed only (untrained weights)
    python bench/vocoder.py --ngpu 1 --minutes 30 --data_dir local_data/arctic   # on a GPU machine

Data: ``cmu_us_<speaker>_arctic/wav/*.flac`` sorted by id, split as ``egs/arctic/vc1/local/data.sh`` splits
the 400 shared pairs: the last 5 % eval (never used here), the 5 % before them dev (validation and every
figure below), the rest train.

Training: each ``--vocoder_configs`` entry is trained by ``vocoder_train`` on ground-truth mels (settings from
``--vc_config``) for ``--minutes`` of wall time (stopped then; its last finished epoch is scored) or
``--steps``; ``--jobs`` trainings run side by side with ``cores / jobs`` threads each, so each gets the same
CPU. One line per epoch: steps, steps/s (espnet's reporter: data loading and both GAN turns), train and
valid mel loss (×``lambda_mel``).

Scoring, one vocoder at a time with ``--threads`` threads: real-time factor of synthesis over all dev
utterances (warm: one utterance first, not timed; CUDA synchronized), and the means over utterances of the
log-spectral distance (STFT 1024/256, 80-7600 Hz), the log-mel L1 to the reference mels and the MCD
(``espnet2_vc.evaluate``: WORLD mel-cepstra, DTW over speech frames). The last line holds every figure as
``key=value``, with ``ratio_<name>_over_<other>_rtf`` for each pair.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "egs/arctic/vc1/conf"


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(REPO.parent / "shared" / "data" / "arctic"),
                        help="folder holding cmu_us_<speaker>_arctic/wav/*.flac")  # fmt: skip
    parser.add_argument("--speaker", default="fraser")
    parser.add_argument("--vocoder_configs", nargs="+",
                        default=[str(CONF / "vocoder_vocos_cpu.yaml"), str(CONF / "vocoder_hifigan.yaml")])  # fmt: skip
    parser.add_argument("--vc_config", default=str(CONF / "train_cpu.yaml"), help="where the mel settings are read")
    parser.add_argument("--minutes", type=float, default=None, help="wall minutes of training per vocoder")
    parser.add_argument("--steps", type=int, default=60, help="training steps per vocoder (without --minutes)")
    parser.add_argument("--log_every", type=int, nargs="+", default=None,
                        help="steps per espnet epoch: one for all configs or one per config (default: each config's)")
    parser.add_argument("--batch_size", type=int, default=None, help="default: the config's")
    parser.add_argument("--jobs", type=int, default=1, help="trainings side by side")
    parser.add_argument("--threads", type=int, default=None, help="threads for scoring (default: every core)")
    parser.add_argument("--scores_only", action="store_true",
                        help="no training: score the checkpoints a previous run left under --outdir")
    parser.add_argument("--rtf_only", action="store_true", help="no training: synthesis speed of untrained models")
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--outdir", default=str(REPO / "exp_bench" / "vocoder"))
    return parser


def write_lists(data_dir: Path, speaker: str, outdir: Path) -> Dict[str, Path]:
    """``wav.scp`` and ``utt2num_samples`` of train and dev (local/data.sh's split) under ``outdir``."""
    wavs = sorted((data_dir / f"cmu_us_{speaker}_arctic" / "wav").glob("arctic_*.flac"))
    n_held = round(0.05 * len(wavs))
    if n_held < 1:
        sys.exit(f"{data_dir}/cmu_us_{speaker}_arctic/wav holds {len(wavs)} flac files; is --data_dir right?")
    sets = {"train": wavs[: -2 * n_held], "dev": wavs[-2 * n_held : -n_held]}
    dirs = {}
    for name, files in sets.items():
        folder = outdir / "data" / name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "wav.scp", "w") as scp, open(folder / "utt2num_samples", "w") as shape:
            for path in files:
                scp.write(f"{path.stem} {path}\n")
                shape.write(f"{path.stem} {sf.info(str(path)).frames}\n")
        dirs[name] = folder
    return dirs


def epoch_lines(log: Path) -> List[Dict[str, float]]:
    """Train and valid numbers of each ``Nepoch results`` line of espnet's train.log."""
    rows = []
    for line in log.read_text().splitlines():
        match = re.search(r"(\d+)epoch results: \[train\] (.*?)\[valid\] (.*)", line)
        if not match:
            continue
        train = dict(re.findall(r"(\w+)=([-\d.e]+)", match.group(2)))
        valid = dict(re.findall(r"(\w+)=([-\d.e]+)", match.group(3)))
        rows.append(dict(epoch=int(match.group(1)), iter_time=float(train["iter_time"]),
                         train_time=float(train["train_time"]), mel=float(train["generator_mel_loss"]),
                         valid_mel=float(valid["generator_mel_loss"])))  # fmt: skip
    return rows


def train_cmd(args: argparse.Namespace, index: int, exp: Path, dirs: Dict[str, Path]) -> List[str]:
    """The ``vocoder_train`` command of config number ``index``."""
    import yaml

    config = args.vocoder_configs[index]
    conf = yaml.safe_load(open(config))
    per_epoch = int(conf.get("num_iters_per_epoch", 100))
    if args.log_every:
        per_epoch = args.log_every[index if len(args.log_every) > 1 else 0]
    epochs = 100000 if args.minutes else max(1, args.steps // per_epoch)
    cmd = [sys.executable, "-m", "espnet2_vc.bin.vocoder_train", "--config", config, "--vc_config", args.vc_config,
           "--output_dir", str(exp), "--ngpu", str(args.ngpu), "--max_epoch", str(epochs),
           "--num_iters_per_epoch", str(per_epoch), "--keep_nbest_models", "1", "--num_workers", "0",
           "--resume", "false"]  # fmt: skip
    if args.batch_size:
        cmd += ["--batch_size", str(args.batch_size)]
    for name, mode in (("train", "train"), ("dev", "valid")):
        cmd += [f"--{mode}_data_path_and_name_and_type", f"{dirs[name] / 'wav.scp'},speech,sound",
                f"--{mode}_shape_file", str(dirs[name] / "utt2num_samples")]  # fmt: skip
    return cmd


def train_all(args: argparse.Namespace, dirs: Dict[str, Path], outdir: Path) -> Dict[str, Path]:
    """Train every config (``--jobs`` at a time); the checkpoint to score of each, by name."""
    cores = len(os.sched_getaffinity(0))
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, cores // args.jobs))}
    if args.log_every and len(args.log_every) not in (1, len(args.vocoder_configs)):
        sys.exit(f"--log_every: give one value or one per config ({len(args.vocoder_configs)})")
    pending = [(Path(c).stem, i) for i, c in enumerate(args.vocoder_configs)]
    running, done = {}, {}
    while pending or running:
        while pending and len(running) < args.jobs:
            name, index = pending.pop(0)
            exp = outdir / f"exp_{name}"
            exp.mkdir(parents=True, exist_ok=True)
            cmd = train_cmd(args, index, exp, dirs)
            print(f"[{name}] {env['OMP_NUM_THREADS']} threads: {' '.join(cmd)}", flush=True)
            log = open(exp / "train.log", "w")
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            running[name] = (proc, exp, time.perf_counter())
        time.sleep(5)
        for name, (proc, exp, start) in list(running.items()):
            timed_out = args.minutes is not None and time.perf_counter() - start > 60 * args.minutes
            if proc.poll() is None and not timed_out:
                continue
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
            elif proc.returncode != 0:
                sys.exit(f"[{name}] vocoder_train failed ({proc.returncode}); see {exp}/train.log")
            rows = epoch_lines(exp / "train.log")
            if not rows:
                sys.exit(f"[{name}] no epoch finished in {args.minutes} min; see {exp}/train.log")
            per_epoch = int(re.search(r"--num_iters_per_epoch (\d+)", " ".join(proc.args)).group(1))
            print(f"[{name}] trained {rows[-1]['epoch'] * per_epoch} steps in {time.perf_counter() - start:.0f} s")
            print(f"[{name}] steps  steps/s  train mel loss  valid mel loss   (mel loss = lambda_mel x L1)")
            for row in rows:
                print(f"[{name}] {row['epoch'] * per_epoch:5d}  {1 / (row['iter_time'] + row['train_time']):7.3f}  "
                      f"{row['mel']:14.2f}  {row['valid_mel']:14.2f}")  # fmt: skip
            done[name] = (exp / "latest.pth", rows[-1]["epoch"] * per_epoch)
            del running[name]
    return done


def previous_run(args: argparse.Namespace, outdir: Path) -> Dict[str, tuple]:
    """``--scores_only``: the checkpoint and step count of each config trained by an earlier run here."""
    import yaml

    done = {}
    for config in args.vocoder_configs:
        exp = outdir / f"exp_{Path(config).stem}"
        rows = epoch_lines(exp / "train.log") if (exp / "train.log").exists() else []
        if not rows or not (exp / "latest.pth").exists():
            sys.exit(f"--scores_only: {exp} holds no trained checkpoint; train it first (without --scores_only)")
        per_epoch = int(yaml.safe_load(open(exp / "config.yaml"))["num_iters_per_epoch"])
        done[Path(config).stem] = (exp / "latest.pth", rows[-1]["epoch"] * per_epoch)
    return done


def score(args: argparse.Namespace, trained: Dict[str, tuple], dev: Path) -> Dict[str, float]:
    """RTF, LSD, mel L1 and MCD of each vocoder (and Griffin-Lim) on the dev utterances' ground-truth mels."""
    import numpy as np
    import torch

    from espnet2_vc.evaluate.mcd import mel_cepstral_distortion
    from espnet2_vc.evaluate.spectral import log_spectral_distance
    from espnet2_vc.evaluate.world import WorldSettings, analyze
    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.hifigan_training import log_mel_extractor
    from espnet2_vc.vocoder.registry import build_vocoder
    from espnet2_vc.vocoder.trained import trained_generator

    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    device = "cuda" if args.ngpu > 0 else "cpu"
    mel = mel_config(args.vc_config)
    fs, extract = int(mel["fs"]), log_mel_extractor(mel)

    def mels(wav: torch.Tensor) -> torch.Tensor:
        return extract(wav[None].float(), torch.tensor([wav.numel()]))[0][0]

    world = WorldSettings()
    refs = []
    for line in (dev / "wav.scp").read_text().splitlines():
        wav = sf.read(line.split(maxsplit=1)[1], dtype="float32")[0]
        refs.append((wav, mels(torch.from_numpy(wav)), analyze(wav, fs, world)))
    seconds = sum(len(wav) for wav, _, _ in refs) / fs
    entries = [(name, trained_generator(ckpt.parent / "config.yaml"), dict(model_file=str(ckpt), device=device))
               for name, (ckpt, _) in trained.items()] + [("griffin_lim", "griffin_lim", {})]  # fmt: skip
    figures = {}
    for name, kind, conf in entries:
        vocoder = build_vocoder(kind, conf, mel)
        vocoder(refs[0][1])  # warm-up, not timed
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        outs = [vocoder(feats) for _, feats, _ in refs]
        if device == "cuda":
            torch.cuda.synchronize()
        figures[f"rtf_{name}"] = (time.perf_counter() - start) / seconds
        if args.rtf_only:
            continue
        lsd, l1, mcd = [], [], []
        for (wav, feats, ref_world), out in zip(refs, outs):
            hyp = out.float().cpu().numpy()[: len(wav)]
            lsd.append(log_spectral_distance(wav, hyp, fs, 1024))
            hyp_mel = mels(torch.from_numpy(hyp))
            n = min(len(hyp_mel), len(feats))
            l1.append(float((hyp_mel[:n] - feats[:n]).abs().mean()))
            mcd.append(mel_cepstral_distortion(analyze(hyp, fs, world), ref_world))
        figures.update({f"lsd_{name}": float(np.mean(lsd)), f"mel_l1_{name}": float(np.mean(l1)),
                        f"mcd_{name}": float(np.mean(mcd))})  # fmt: skip
    return figures


def main() -> None:
    """Train, print the curves, score, print the table and the key=value line."""
    args = get_parser().parse_args()
    outdir = Path(args.outdir)
    dirs = write_lists(Path(args.data_dir), args.speaker, outdir)
    if args.rtf_only:
        args.steps, args.log_every, args.minutes, args.batch_size = 1, [1], None, 1
    trained = previous_run(args, outdir) if args.scores_only else train_all(args, dirs, outdir)
    figures = score(args, trained, dirs["dev"])
    names = list(trained) + ["griffin_lim"]
    n_dev = len((dirs["dev"] / "wav.scp").read_text().splitlines())
    print(f"\n{n_dev} dev utterances of {args.speaker}; training {'untrained (--rtf_only)' if args.rtf_only else ''}"
          f"{'' if args.rtf_only else (f'{args.minutes} min' if args.minutes else f'{args.steps} steps')} each")
    print("vocoder              steps    RTF     LSD dB  mel L1   MCD dB")
    for name in names:
        steps = trained[name][1] if name in trained else 0
        cells = [figures.get(f"{k}_{name}", float("nan")) for k in ("rtf", "lsd", "mel_l1", "mcd")]
        print(f"{name:20s} {steps:5d}  {cells[0]:7.4f}  {cells[1]:6.2f}  {cells[2]:6.3f}  {cells[3]:6.2f}")
    for a in names:
        for b in names:
            if a != b:
                figures[f"ratio_{b}_over_{a}_rtf"] = figures[f"rtf_{b}"] / figures[f"rtf_{a}"]
    for name in trained:
        figures[f"steps_{name}"] = trained[name][1]
    print(" ".join(f"{k}={v:.4g}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
