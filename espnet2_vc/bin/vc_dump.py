#!/usr/bin/env python3
"""Stage 2: resample, trim edge silence and length-filter a parallel set (``data/<set>`` → ``dump/raw/<set>``)."""

import argparse
import logging
import sys
from typing import List, Optional

from espnet2_vc.data.dump import DumpSettings, dump_set
from espnet2_vc.data.trim import TrimSettings
from espnet2_vc.utils.config import sampling_rate


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Dump a parallel set for training: resampled 16-bit wavs, edge silence trimmed, filtered.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data_dir", required=True, help="data/<set> with wav.scp, tgt_wav.scp, utt2spk, …")
    parser.add_argument("--output_dir", required=True, help="dump/raw/<set> (replaced when the dump succeeds)")
    parser.add_argument("--vc_config", required=True,
                        help="VC training config: its feats_extract_conf.fs is the output rate, its trim_conf the "
                        "edge-silence trimming (the same settings convert a wav at inference)")  # fmt: skip
    parser.add_argument("--fs", type=int, default=None, help="output rate; must equal the config's (a check)")
    parser.add_argument("--spk2sid", help="training set's spk2sid to reuse (dev/eval); default: build one")
    defaults = DumpSettings(fs=0)
    parser.add_argument("--min_dur", type=float, default=defaults.min_dur, help="drop a pair with a shorter side (s)")
    parser.add_argument("--max_dur", type=float, default=defaults.max_dur, help="drop a pair with a longer side (s)")
    parser.add_argument("--max_ratio", type=float, default=defaults.max_ratio,
                        help="drop pairs whose length ratio is larger (<= 0: no check)")  # fmt: skip
    parser.add_argument("--nj", type=int, default=1, help="worker processes")
    parser.add_argument("--log_level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def main(cmd: Optional[List[str]] = None) -> None:
    """Dump one set; exit with status 1 and a message on a bad data dir, an unseen speaker or an empty result.

    Example:
        python -m espnet2_vc.bin.vc_dump --data_dir data/dev --output_dir dump/raw/dev \\
            --vc_config conf/train.yaml --spk2sid dump/raw/train/spk2sid
    """
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    if args.nj < 1 or args.min_dur < 0 or args.max_dur <= args.min_dur:
        sys.exit("error: need --nj >= 1 and 0 <= --min_dur < --max_dur")
    try:
        fs = sampling_rate(args.vc_config)
        if args.fs is not None and args.fs != fs:
            raise ValueError(f"--fs {args.fs} differs from {args.vc_config}'s feats_extract_conf fs {fs}")
        trim = TrimSettings.from_config(args.vc_config)
        settings = DumpSettings(fs=fs, min_dur=args.min_dur, max_dur=args.max_dur, max_ratio=args.max_ratio, trim=trim)
        dump_set(args.data_dir, args.output_dir, settings, spk2sid_path=args.spk2sid, nj=args.nj)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
