#!/usr/bin/env python3
"""Pack a trained VC model (and optionally its vocoder) into one zip that ``VoiceConverter`` loads."""

import argparse
import logging
from typing import List, Optional


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train_config", required=True, help="exp/<vc_exp>/config.yaml")
    parser.add_argument("--model_file", required=True, help="exp/<vc_exp>/<name>.pth")
    parser.add_argument("--outpath", required=True, help="e.g. exp/<vc_exp>/packed/model.zip")
    parser.add_argument("--vocoder_config", default=None, help="exp/<voc_exp>/config.yaml")
    parser.add_argument("--vocoder_file", default=None, help="exp/<voc_exp>/<name>.pth")
    parser.add_argument("--results_md", default=None, help="evaluation results.md to quote in the README")
    parser.add_argument("--spk2sid", default=None, help="speaker name → id map of many-to-many models")
    return parser


def main(cmd: Optional[List[str]] = None) -> None:
    """Write the pack and say what is in it."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level="INFO", format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    from espnet2_vc.pack import pack_model

    out = pack_model(args.train_config, args.model_file, args.outpath, args.vocoder_config, args.vocoder_file,
                     args.results_md, args.spk2sid)  # fmt: skip
    logging.info(f"packed {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
