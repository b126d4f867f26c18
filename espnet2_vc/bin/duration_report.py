#!/usr/bin/env python3
"""Summarize a durations file (stage 4) and plot a few alignments: ``python -m espnet2_vc.bin.duration_report``.

Writes ``<output_dir>/stats.json`` (zero and long durations, see ``espnet2_vc.durations.report``) and, with
the features of stage 3, ``<output_dir>/<utt>.png`` for the first ``--n_plots`` utterances; with ``--text``,
the agreement with forced phone alignments of both sides (``espnet2_vc.durations.phones``) in ``stats.json``.

Example (from egs/arctic/vc1):
    python -m espnet2_vc.bin.duration_report --durations dump/durations/train/durations \\
        --feats_dir exp/vc_stats/train/collect_feats --vc_config exp/vc_stats/config.yaml \\
        --output_dir exp/durations_report
"""

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--durations", required=True, help="dump/durations/<set>/durations")
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument("--feats_dir", default=None, help="exp/vc_stats/<split>/collect_feats (for the plots)")
    parser.add_argument("--vc_config", default=None, help="the config the durations were made with (r, for plots)")
    parser.add_argument("--n_plots", type=int, default=4)
    parser.add_argument("--long", type=int, default=4, help="a duration >= this is counted as long")
    phones = parser.add_argument_group("agreement with forced phone alignments (pocketsphinx, English)")
    phones.add_argument("--text", default=None, help="dump/raw/<set>/text: check the durations against phones")
    phones.add_argument("--src_scp", default=None, help="dump/raw/<set>/wav.scp (with --text)")
    phones.add_argument("--tgt_scp", default=None, help="dump/raw/<set>/tgt_wav.scp (with --text)")
    phones.add_argument("--max_phone_checks", type=int, default=None, help="check at most this many pairs")
    return parser


def phone_check(args: argparse.Namespace, durations: Dict[str, Any]) -> Dict[str, Any]:
    """``espnet2_vc.durations.phones.check_sets`` over the first ``--max_phone_checks`` utterances."""
    if args.vc_config is None or args.src_scp is None or args.tgt_scp is None:
        sys.exit("error: --text needs --src_scp, --tgt_scp and --vc_config (hop, rate and reduction factor)")
    from espnet2_vc.durations.phones import PhoneAligner, check_sets
    from espnet2_vc.utils.audio import load_audio
    from espnet2_vc.utils.config import mel_config, reduction_factor
    from espnet2_vc.utils.kaldi import read_kaldi, read_scp

    mel, r = mel_config(args.vc_config), reduction_factor(args.vc_config)
    scps = read_scp(args.src_scp), read_scp(args.tgt_scp)
    checked = {u: durations[u] for u in sorted(durations)[: args.max_phone_checks]}
    result = check_sets(checked, PhoneAligner(), lambda u: tuple(load_audio(scp[u]) for scp in scps),
                        read_kaldi(args.text, require_value=True), mel["hop_length"] / mel["fs"], r)  # fmt: skip
    logging.info(f"phone agreement of {len(checked)} pairs: {result}")
    return result


def main(cmd: Optional[List[str]] = None) -> None:
    """Write the summary (and plots); exit with a message on an empty or malformed file."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level="INFO", format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    import numpy as np

    from espnet2_vc.durations.report import duration_stats, plot_alignment
    from espnet2_vc.utils.kaldi import read_kaldi, read_scp

    try:
        lines = read_kaldi(args.durations, require_value=True)
        durations = {u: np.array(v.split(), dtype=np.int64) for u, v in lines.items()}
        stats = duration_stats(durations, long=args.long)
    except ValueError as e:
        sys.exit(f"error: {args.durations}: {e}")
    if args.text is not None:
        stats["phones"] = phone_check(args, durations)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    logging.info(f"{args.durations}: {stats}")
    if args.feats_dir is None or args.n_plots <= 0:
        return
    if args.vc_config is None:
        sys.exit("error: --feats_dir needs --vc_config (the reduction factor)")
    from espnet2_vc.utils.config import reduction_factor

    r = reduction_factor(args.vc_config)
    feats = {side: read_scp(Path(args.feats_dir) / f"{side}_feats.scp") for side in ("src", "tgt")}
    for utt in sorted(durations)[: args.n_plots]:
        if utt not in feats["src"] or utt not in feats["tgt"]:
            logging.warning(f"{utt}: no features in {args.feats_dir}; not plotted")
            continue
        src, tgt = (np.load(feats[side][utt]) for side in ("src", "tgt"))
        plot_alignment(args.output_dir / f"{utt}.png", src, tgt, durations[utt], r, utt)
        logging.info(f"wrote {args.output_dir / f'{utt}.png'}")


if __name__ == "__main__":
    main()
