#!/usr/bin/env python3
"""Copy a pretrained model's normalization statistics for a fine-tuning that normalizes with them
(``vc.sh --pretrained_stats``; doc/training.md)."""

import argparse
from pathlib import Path
from typing import List, Optional

from espnet2_vc.utils.pretrained import STATS_NAMES, copy_pretrained_stats


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pretrained", required=True, type=Path, help="the pretrained exp dir or packed model.zip")
    parser.add_argument("--vc_config", required=True, type=Path,
                        help="the config of the fine-tuning (its mel settings must be the pretrained model's)")
    parser.add_argument("--output_dir", required=True, type=Path,
                        help=f"where the statistics go, under stage 3's names ({', '.join(STATS_NAMES.values())})")
    return parser


def main(cmd: Optional[List[str]] = None) -> None:
    args = get_parser().parse_args(cmd)
    try:
        copied = copy_pretrained_stats(args.pretrained, args.vc_config, args.output_dir)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f"pretrained_stats: {e}") from None
    for key, path in copied.items():
        print(f"{key}: {path}")


if __name__ == "__main__":
    main()
