"""Write a duration teacher's training config: ``python -m espnet2_vc.bin.teacher_config --help``.

The teacher yaml (network, optimization) with the student's mel settings, trimming and reduction factor filled
in from the VC config, so that the teacher's attention indexes the student's frames (vc.sh stage 4).
"""

import argparse
import sys
from pathlib import Path

import yaml

from espnet2_vc.durations.teacher import teacher_train_config


def main(cmd: list[str] | None = None) -> None:
    """Merge and write; exit with a message when the two configs disagree."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher_config", required=True, help="e.g. conf/teacher_vtn_cpu.yaml")
    parser.add_argument("--vc_config", required=True, help="the student's config, e.g. exp/vc_stats/config.yaml")
    parser.add_argument("--output", required=True, type=Path, help="the merged yaml to train the teacher with")
    args = parser.parse_args(cmd)
    try:
        config = teacher_train_config(args.teacher_config, args.vc_config)
    except ValueError as e:
        sys.exit(f"error: {e}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main()
