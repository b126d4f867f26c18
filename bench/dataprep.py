"""Data preparation cost: wall seconds of vc.sh stages 2-4 per hour of paired audio, against reading the audio.

Usage:
    python bench/dataprep.py [--recipe egs/arctic/vc1] [--db_root ../shared/data/arctic] [--nj 2]

Runs a fresh copy of the recipe (its shared parts linked to egs/TEMPLATE, its outputs in a temporary folder):
stage 1 (untimed), then stage 2 (dump: read, trim, check, write), stage 3 (statistics and the features written
once: mels, pitch, energy) and stage 4 (DTW durations), each timed by wall clock with ``--nj``. The anchor, in
the same run: decoding every source and target recording once with soundfile, one process (the floor any
data preparation pays). Hours are the source audio as dumped (each hour comes with its targets).
The last line: ``stage2_s_per_h=… stage3_s_per_h=… stage4_s_per_h=… total_s_per_h=… read_s_per_h=…
total/read=…``. Results: doc/performance.md.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "egs" / "TEMPLATE" / "vc1"
SHARED = ("vc.sh", "path.sh", "scripts", "utils")


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default=str(ROOT / "egs" / "arctic" / "vc1"))
    parser.add_argument("--db_root", default=str(ROOT.parent / "shared" / "data" / "arctic"))
    parser.add_argument("--nj", type=int, default=2)
    parser.add_argument("--args", default="", help="more run.sh options (e.g. '--srcspk slt --tgtspk rms')")
    return parser


def copy_recipe(recipe: Path, root: Path) -> Path:
    """The recipe's own files copied, its shared parts linked (so ``../../TEMPLATE`` links need no tree)."""
    out = root / recipe.parent.name / recipe.name
    out.mkdir(parents=True)
    for item in recipe.iterdir():
        if item.name in SHARED:
            (out / item.name).symlink_to(TEMPLATE / item.name)
        elif item.name in ("conf", "local"):
            shutil.copytree(item, out / item.name, symlinks=True)
        elif item.name == "run.sh":
            shutil.copy2(item, out / item.name)
    return out


def hours(recipe: Path) -> float:
    """Source hours dumped by stage 2 (every set)."""
    samples = 0
    for path in (recipe / "dump" / "raw").glob("*/utt2num_samples"):
        samples += sum(int(line.split()[1]) for line in path.read_text().splitlines())
    fs = 16000
    rate = next((recipe / "dump" / "raw").glob("*/data/src/*.wav"), None)
    if rate is not None:
        fs = sf.info(str(rate)).samplerate
    return samples / fs / 3600


def main() -> None:
    args = get_parser().parse_args()
    db_root = Path(args.db_root).resolve()
    if not db_root.is_dir():
        sys.exit(f"{db_root}: no corpus there (--db_root)")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    with tempfile.TemporaryDirectory() as tmp:
        recipe = copy_recipe(Path(args.recipe).resolve(), Path(tmp))
        common = ["./run.sh", "--db_root", str(db_root), "--ngpu", "0", "--nj", str(args.nj), *args.args.split()]
        seconds = {}
        for stage in (1, 2, 3, 4):
            start = time.perf_counter()
            proc = subprocess.run([*common, "--stage", str(stage), "--stop_stage", str(stage)], cwd=recipe, env=env,
                                  capture_output=True, text=True)  # fmt: skip
            if proc.returncode != 0:
                sys.exit(f"stage {stage} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
            seconds[stage] = time.perf_counter() - start
        h = hours(recipe)
        files = [line.split(maxsplit=1)[1] for name in ("wav.scp", "tgt_wav.scp")
                 for scp in (recipe / "data").glob(f"*/{name}") for line in scp.read_text().splitlines()]  # fmt: skip
    start = time.perf_counter()
    for path in files:  # the anchor: every recording decoded once
        sf.read(path, dtype="float32")
    read = time.perf_counter() - start
    total = seconds[2] + seconds[3] + seconds[4]
    print(f"{args.recipe}: {h:.3f} h of source audio (+ its targets), {len(files)} recordings read, --nj {args.nj}")
    for stage in (1, 2, 3, 4):
        print(f"stage {stage}: {seconds[stage]:7.1f} s  ({seconds[stage] / h:7.0f} s per hour)")
    print(f"read every recording once (anchor): {read:.1f} s ({read / h:.0f} s per hour)")
    figures = [f"stage{s}_s_per_h={seconds[s] / h:.0f}" for s in (2, 3, 4)]
    figures += [f"total_s_per_h={total / h:.0f}", f"read_s_per_h={read / h:.0f}", f"total/read={total / read:.1f}"]
    print(" ".join(figures))


if __name__ == "__main__":
    main()
