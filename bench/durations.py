"""Cost of DTW durations against fastdtw on parallel ARCTIC pairs (kathleen -> fraser), same run, same features.

Usage:
    OMP_NUM_THREADS=1 python bench/durations.py [--n 50] [--vc_config conf.yaml]

Both methods start from the same alignment features (timed once, counted in both totals) and end with the
same path -> durations rule; they differ only in the DTW. The last line is ``ratio fastdtw/ours: X.XX``
(end-to-end seconds, features included). Costs are seconds per hour of source audio, one process, the best of
``--repeat`` timings of each stage. Audio is silence-trimmed first (untimed), as stage 2 does.
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import librosa
import numpy as np
import soundfile

from espnet2_vc.durations.dtw import distance_matrix, dtw_path, durations_from_path, path_to_durations, warmup
from espnet2_vc.durations.features import alignment_features, reduce_frames, reduced_lengths

T = TypeVar("T")


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="number of pairs")
    parser.add_argument("--data_dir", default="/work/shared/data/arctic", help="folder holding cmu_us_*_arctic/")
    parser.add_argument("--src", default="cmu_us_kathleen_arctic")
    parser.add_argument("--tgt", default="cmu_us_fraser_arctic")
    parser.add_argument("--vc_config", default=None, help="take fs, n_fft, hop, r from a VC config instead")
    parser.add_argument("--fs", type=int, default=16000)
    parser.add_argument("--n_fft", type=int, default=1024)
    parser.add_argument("--hop_length", type=int, default=256)
    parser.add_argument("--reduction_factor", type=int, default=1)
    parser.add_argument("--radius", type=int, default=1, help="fastdtw radius")
    parser.add_argument("--repeat", type=int, default=3, help="time each stage this many times, keep the best")
    parser.add_argument("--trim_db", type=float, default=30.0, help="trim lead/tail silence like stage 2 (0: off)")
    return parser


def load_pairs(args: argparse.Namespace) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The first ``args.n`` ids present for both speakers, with their waveforms."""
    src_dir = Path(args.data_dir) / args.src / "wav"
    tgt_dir = Path(args.data_dir) / args.tgt / "wav"
    ids = sorted({p.stem for p in src_dir.glob("*.flac")} & {p.stem for p in tgt_dir.glob("*.flac")})[: args.n]
    pairs = []
    for utt in ids:
        src, fs1 = soundfile.read(src_dir / f"{utt}.flac", dtype="float32")
        tgt, fs2 = soundfile.read(tgt_dir / f"{utt}.flac", dtype="float32")
        if fs1 != args.fs or fs2 != args.fs:
            sys.exit(f"{utt}: sampled at {fs1}/{fs2} Hz, expected --fs {args.fs}")
        if args.trim_db > 0:  # not timed: stage 2 does this before durations are extracted
            src, tgt = (librosa.effects.trim(x, top_db=args.trim_db)[0] for x in (src, tgt))
        pairs.append((utt, src, tgt))
    return pairs


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Shortest wall time of ``repeat`` calls of ``fn`` (the machine is shared) and the last result."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def fastdtw_durations(src: np.ndarray, tgt: np.ndarray, radius: int) -> np.ndarray:
    """Durations (Ns,) from fastdtw's path over reduced features src (Ns, D) and tgt (Nt, D)."""
    from fastdtw import fastdtw

    _, path = fastdtw(src, tgt, radius=radius, dist=2)
    path = np.asarray(path, dtype=np.int64)
    cost = np.linalg.norm(src[path[:, 0]] - tgt[path[:, 1]], axis=1)
    return durations_from_path(path, cost, len(src), len(tgt))


def main() -> None:
    """Time both methods and print the table, ending with the ratio line."""
    args = get_parser().parse_args()
    if args.vc_config:
        from espnet2_vc.utils.config import mel_config, reduction_factor

        mel = mel_config(args.vc_config)
        args.fs, args.n_fft, args.hop_length = int(mel["fs"]), int(mel["n_fft"]), int(mel["hop_length"])
        args.reduction_factor = reduction_factor(args.vc_config)
    if not (Path(args.data_dir) / args.src / "wav").is_dir():
        print(f"skip: {Path(args.data_dir) / args.src / 'wav'} not found (shared ARCTIC data absent)")
        return
    try:
        import fastdtw  # noqa: F401
    except ImportError:
        sys.exit("fastdtw is not installed: pip install fastdtw")
    pairs = load_pairs(args)
    r = args.reduction_factor
    hours = sum(len(src) for _, src, _ in pairs) / args.fs / 3600
    warmup()  # numba kernels
    alignment_features(pairs[0][1], args.fs, args.n_fft, args.hop_length)  # librosa's first-call set-up

    def compute_features() -> list[tuple[np.ndarray, np.ndarray, int, int]]:
        feats = []
        for _, src, tgt in pairs:
            f_src = alignment_features(src, args.fs, args.n_fft, args.hop_length)
            f_tgt = alignment_features(tgt, args.fs, args.n_fft, args.hop_length)
            feats.append((reduce_frames(f_src, r, False), reduce_frames(f_tgt, r, True), len(f_src), len(f_tgt)))
        return feats

    def run_ours() -> list[np.ndarray]:
        out = []
        for src, tgt, _, _ in feats:
            dist = distance_matrix(src, tgt)
            out.append(path_to_durations(dtw_path(dist), dist))
        return out

    t_feats, feats = best_of(args.repeat, compute_features)
    t_ours, ours = best_of(args.repeat, run_ours)
    t_fast, theirs = best_of(args.repeat, lambda: [fastdtw_durations(s, t, args.radius) for s, t, _, _ in feats])

    for d_ours, d_fast, (_, _, n_src, n_tgt) in zip(ours, theirs, feats):
        ns, nt = reduced_lengths(n_src, n_tgt, r)
        assert len(d_ours) == len(d_fast) == ns and d_ours.sum() == d_fast.sum() == nt
    # How far apart the two alignments are: mean |difference| of the target position reached per source frame.
    gap = np.mean([np.abs(np.cumsum(a) - np.cumsum(b)).mean() for a, b in zip(ours, theirs)])

    per_hour = 1.0 / hours
    print(
        f"{len(pairs)} pairs {args.src} -> {args.tgt}, {hours * 3600:.1f} s of source audio; fs={args.fs} "
        f"n_fft={args.n_fft} hop={args.hop_length} r={r}; trim_db={args.trim_db}; "
        f"fastdtw radius={args.radius}; best of {args.repeat}"
    )
    print(f"{'method':<10} {'features s':>11} {'dtw+dur s':>10} {'total s':>9} {'s/hour audio':>13}")
    for name, t_align in (("ours", t_ours), ("fastdtw", t_fast)):
        total = t_feats + t_align
        print(f"{name:<10} {t_feats:>11.3f} {t_align:>10.3f} {total:>9.3f} {total * per_hour:>13.1f}")
    print(f"alignment-only ratio fastdtw/ours: {t_fast / t_ours:.1f}")
    print(f"mean |cumsum(ours) - cumsum(fastdtw)|: {gap:.2f} reduced target frames")
    print(f"ratio fastdtw/ours: {(t_feats + t_fast) / (t_feats + t_ours):.2f}")


if __name__ == "__main__":
    main()
