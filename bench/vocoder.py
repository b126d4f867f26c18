"""HiFi-GAN training speed and mel-loss curve on the shared ARCTIC target speaker, and decoding speed against
Griffin-Lim (the anchor, same run, same mels).

Usage (CPU; on a GPU machine add ``--ngpu 1`` and a larger ``--steps``):
    OMP_NUM_THREADS=1 python bench/vocoder.py --steps 60 --log_every 10 --batch_size 2
    python bench/vocoder.py --ngpu 1 --steps 2000 --log_every 100          # the config's batch size (16)

It trains ``--vocoder_config`` on ground-truth mels of ``--speaker`` (mel settings from ``--vc_config``) with
``vocoder_train``, one espnet "epoch" per ``--log_every`` steps, and prints one line per epoch: steps done,
steps/s (``1 / (iter_time + train_time)`` of espnet's reporter: data loading and the two GAN turns, no
validation or checkpointing), the generator's mean train mel loss (×``lambda_mel``) and the valid mel loss.
Then it decodes the valid utterances' ground-truth mels with the last checkpoint and with Griffin-Lim and
prints both real-time factors, their mel L1 to the reference, and ``ratio griffin_lim/hifigan RTF: X.XX``.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(REPO.parent / "shared" / "data" / "arctic"),
                        help="folder holding cmu_us_<speaker>_arctic/wav/*.flac")  # fmt: skip
    parser.add_argument("--speaker", default="fraser")
    parser.add_argument("--vocoder_config", default=str(REPO / "egs/arctic/vc1/conf/vocoder_hifigan.yaml"))
    parser.add_argument("--vc_config", default=str(REPO / "egs/arctic/vc1/conf/train.yaml"))
    parser.add_argument("--steps", type=int, default=60, help="training steps in all")
    parser.add_argument("--log_every", type=int, default=10, help="steps per espnet epoch (one line each)")
    parser.add_argument("--batch_size", type=int, default=None, help="default: the config's")
    parser.add_argument("--n_valid", type=int, default=10, help="last utterances held out for validation")
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--outdir", default=str(REPO / "exp_bench" / "vocoder"))
    return parser


def write_lists(data_dir: Path, speaker: str, n_valid: int, outdir: Path) -> Dict[str, Path]:
    """``wav.scp`` and ``utt2num_samples`` for train / valid under ``outdir``; the folder of each set."""
    wavs = sorted((data_dir / f"cmu_us_{speaker}_arctic" / "wav").glob("arctic_*.flac"))
    if len(wavs) <= n_valid:
        sys.exit(f"{data_dir}/cmu_us_{speaker}_arctic/wav holds {len(wavs)} flac files; need more than "
                 f"--n_valid {n_valid} (is --data_dir right?)")  # fmt: skip
    sets = {"train": wavs[:-n_valid], "valid": wavs[-n_valid:]}
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


def decode(model_file: Path, vc_config: str, valid: Path, device: str) -> None:
    """RTF and mel L1 of the trained vocoder and of Griffin-Lim on the valid utterances' ground-truth mels."""
    import torch

    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.hifigan_training import log_mel_extractor
    from espnet2_vc.vocoder.registry import build_vocoder

    mel = mel_config(vc_config)
    extract = log_mel_extractor(mel)

    def mels(wav: torch.Tensor) -> torch.Tensor:
        return extract(wav[None].float(), torch.tensor([wav.numel()]))[0][0]

    refs = []
    for line in (valid / "wav.scp").read_text().splitlines():
        wav = torch.from_numpy(sf.read(line.split(maxsplit=1)[1], dtype="float32")[0])
        refs.append((wav, mels(wav)))
    seconds = sum(wav.numel() for wav, _ in refs) / mel["fs"]
    rtf = {}
    for name, conf in (("hifigan", dict(model_file=str(model_file), device=device)), ("griffin_lim", {})):
        vocoder = build_vocoder(name, conf, mel)
        vocoder(refs[0][1][:20])  # warm-up
        start, l1 = time.perf_counter(), []
        outs = [vocoder(feats) for _, feats in refs]
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        rtf[name] = (time.perf_counter() - start) / seconds
        for (wav, feats), out in zip(refs, outs):
            hyp = mels(out.float().cpu()[: wav.numel()])
            n = min(len(hyp), len(feats))
            l1.append(float((hyp[:n] - feats[:n]).abs().mean()))
        print(f"{name:12s} RTF {rtf[name]:.4f}  mel L1 {sum(l1) / len(l1):.3f} ({len(refs)} valid utts, "
              f"{seconds:.1f} s)")  # fmt: skip
    print(f"ratio griffin_lim/hifigan RTF: {rtf['griffin_lim'] / rtf['hifigan']:.2f}")


def main() -> None:
    """Train, print the curve, decode."""
    args = get_parser().parse_args()
    outdir = Path(args.outdir)
    dirs = write_lists(Path(args.data_dir), args.speaker, args.n_valid, outdir)
    exp = outdir / "exp"
    epochs = max(1, args.steps // args.log_every)
    cmd = [sys.executable, "-m", "espnet2_vc.bin.vocoder_train", "--config", args.vocoder_config,
           "--vc_config", args.vc_config, "--output_dir", str(exp), "--ngpu", str(args.ngpu),
           "--max_epoch", str(epochs), "--num_iters_per_epoch", str(args.log_every), "--keep_nbest_models", "1",
           "--num_workers", "0", "--resume", "false"]  # fmt: skip
    if args.batch_size:
        cmd += ["--batch_size", str(args.batch_size)]
    for name, mode in (("train", "train"), ("valid", "valid")):
        cmd += [f"--{mode}_data_path_and_name_and_type", f"{dirs[name] / 'wav.scp'},speech,sound",
                f"--{mode}_shape_file", str(dirs[name] / "utt2num_samples")]  # fmt: skip
    print(" ".join(cmd), flush=True)
    start = time.perf_counter()
    exp.mkdir(parents=True, exist_ok=True)
    with open(exp / "train.log", "w") as log:
        code = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    if code != 0:
        sys.exit(f"vocoder_train failed ({code}); see {exp}/train.log")
    print(f"trained {epochs * args.log_every} steps in {time.perf_counter() - start:.0f} s (with start-up, "
          "validation and checkpoints)")  # fmt: skip
    print("steps  steps/s  train mel loss  valid mel loss   (mel loss = lambda_mel x L1)")
    for row in epoch_lines(exp / "train.log"):
        print(f"{row['epoch'] * args.log_every:5d}  {1 / (row['iter_time'] + row['train_time']):7.3f}  "
              f"{row['mel']:14.2f}  {row['valid_mel']:14.2f}")  # fmt: skip
    decode(exp / "latest.pth", args.vc_config, dirs["valid"], "cuda" if args.ngpu > 0 else "cpu")


if __name__ == "__main__":
    main()
