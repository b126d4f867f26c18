#!/usr/bin/env python3
"""Train a VC model (or collect its statistics with ``--collect_stats true``)."""

from typing import List, Optional

from espnet2_vc.tasks.vc import VCTask


def get_parser():
    """The argument parser, for documentation tools."""
    return VCTask.get_parser()


def main(cmd: Optional[List[str]] = None) -> None:
    """Run ``VCTask.main``; see ``--help``.

    Example:
        python -m espnet2_vc.bin.vc_train --print_config --tts nars2s --tts_conf reduction_factor=3
    """
    VCTask.main(cmd=cmd)  # checkpoints saved atomically (main_worker: every process, spawned ones too)


if __name__ == "__main__":
    main()
