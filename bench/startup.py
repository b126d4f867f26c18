"""Start-up cost: seconds from process start to the first useful work, against anchors timed in the same run.

Usage:
    python bench/startup.py [--zip model.zip ...] [--repeat 5] [--code DIR]

Each figure is the wall time of a fresh ``python`` process (the median of ``--repeat``, runs interleaved):

- ``vc_inference_help`` / ``vc_train_help``: ``python -m espnet2_vc.bin.<tool> --help``;
- ``load_<name>``: ``VoiceConverter.from_pretrained(zip)`` for each ``--zip`` (default: the mini recipe's);
- ``extract_durations``: ``extract_durations`` (DTW) on the first pair of the mini recipe's train set.

Anchors: ``import_torch`` (``python -c "import torch"``, the floor every tool here pays) and
``espnet_tts_help`` (``python -m espnet2.bin.tts_inference --help``, espnet's counterpart of a ``--help``).
The last line is ``key=value`` with every figure and its ratio to ``import_torch``. ``--code DIR`` times the
``espnet2_vc`` in another checkout (``git worktree add /tmp/before <commit>``) for before/after figures.
Results: doc/performance.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "egs" / "mini_flite" / "vc1"
MINI_EXP = MINI / "exp" / "vc_train_train_debug"


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", nargs="*", default=[str(MINI_EXP / "packed" / "model.zip")],
                        help="packed models to load (vc_pack); default: the mini recipe's")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (the median is reported)")
    parser.add_argument("--code", default=None, help="time the espnet2_vc of this checkout (PYTHONPATH)")
    parser.add_argument("--recipe", default=str(MINI), help="recipe whose dump/raw/train and exp give the pair")
    return parser


def durations_command(recipe: Path, out: Path) -> List[str]:
    """``extract_durations`` on the first pair of ``recipe``'s train set."""
    config = next(iter(sorted((recipe / "exp").glob("vc_train_*/config.yaml"))), None)
    train = recipe / "dump" / "raw" / "train"
    if config is None or not (train / "wav.scp").exists():
        sys.exit(f"{recipe}: no dump/raw/train or exp/vc_train_*/config.yaml; run its recipe first (./run.sh)")
    for name in ("wav.scp", "tgt_wav.scp"):
        line = (train / name).read_text().splitlines()[0].split(maxsplit=1)
        path = line[1] if Path(line[1]).is_absolute() else str(recipe / line[1])
        (out / name).write_text(f"{line[0]} {path}\n")
    return ["-m", "espnet2_vc.bin.extract_durations", "--vc_config", str(config), "--src_scp", str(out / "wav.scp"),
            "--tgt_scp", str(out / "tgt_wav.scp"), "--output_dir", str(out / "durations")]  # fmt: skip


def wall(argv: List[str], env: Dict[str, str], cwd: Path) -> float:
    """Seconds of one fresh ``python`` process running ``argv`` (it must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds


def main() -> None:
    args = get_parser().parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    # Run where the timed code is: ``python -c``/``-m`` put the working directory first on sys.path.
    cwd = Path(args.code).resolve() if args.code else ROOT
    env["PYTHONPATH"] = str(cwd)
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "import_torch": ["-c", "import torch"],
            "espnet_tts_help": ["-m", "espnet2.bin.tts_inference", "--help"],
            "vc_inference_help": ["-m", "espnet2_vc.bin.vc_inference", "--help"],
            "vc_train_help": ["-m", "espnet2_vc.bin.vc_train", "--help"],
            "extract_durations": durations_command(Path(args.recipe).resolve(), Path(tmp)),
        }
        for path in (str(Path(p).resolve()) for p in args.zip):
            if not Path(path).exists():
                sys.exit(f"{path}: no such packed model (run the recipe's stage 9, or give --zip)")
            name = Path(path).resolve().parents[1].name if Path(path).name == "model.zip" else Path(path).stem
            code = f"from espnet2_vc import VoiceConverter; VoiceConverter.from_pretrained({str(path)!r})"
            commands[f"load_{name}"] = ["-c", code]
        wall(["-c", "import torch"], env, cwd)  # warm the file cache once
        times: Dict[str, List[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so that a noisy minute hits every command alike
            for name, argv in commands.items():
                times[name].append(wall(argv, env, cwd))
    medians = {name: statistics.median(values) for name, values in times.items()}
    anchor = medians["import_torch"]
    print(f"{'command':<32} {'median s':>9} {'min s':>7} {'max s':>7} {'x import_torch':>15}")
    for name, values in times.items():
        print(f"{name:<32} {medians[name]:9.2f} {min(values):7.2f} {max(values):7.2f} {medians[name] / anchor:15.2f}")
    figures = [f"{name}={value:.2f}" for name, value in medians.items()]
    figures += [f"{name}/import_torch={medians[name] / anchor:.2f}" for name in medians if name != "import_torch"]
    print(" ".join(figures))


if __name__ == "__main__":
    main()
