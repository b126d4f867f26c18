#!/usr/bin/env python3
"""Evaluate converted speech against the target recordings (stage 7): MCD, F0, duration, speaker, ASR.

Writes ``results.json``, ``results.md`` and ``index.html`` (samples page) under ``--output_dir``;
see doc/evaluation.md.
"""

import argparse
import logging
import sys

from espnet2_vc.evaluate.runner import METRICS, EvalSettings
from espnet2_vc.evaluate.world import WorldSettings

# Options that go to WorldSettings under the same names.
WORLD_OPTIONS = (
    "frame_period_ms", "f0_method", "f0_floor", "f0_ceil", "mcep_order", "mcep_alpha", "silence_db", "sp_floor_db"
)  # fmt: skip


def float_or_none(value: str) -> float | None:
    """``none`` → ``None``, else a float."""
    return None if value.lower() in ("none", "null") else float(value)


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--converted_scp", required=True, help="<decode_dir>/<set>/wav.scp")
    parser.add_argument("--target_scp", required=True, help="dump/raw/<set>/tgt_wav.scp")
    parser.add_argument("--source_scp", default=None, help="dump/raw/<set>/wav.scp (no-conversion reference rows)")
    parser.add_argument("--analysis_scp", default=None,
                        help="the target's mels through the same vocoder (vocoder_inference --wav_scp): its own row")
    parser.add_argument("--text", default=None, help="dump/raw/<set>/text (needed for the asr metric)")
    parser.add_argument("--rtf", action="append", default=[], help="<decode_dir>/<set>/rtf (repeatable)")
    parser.add_argument("--utt2tgt_spk", default=None, help="default: utt2tgt_spk beside --target_scp if present")
    parser.add_argument("--utt2spk", default=None, help="default: utt2spk beside --source_scp if present")
    parser.add_argument("--output_dir", required=True, help="e.g. <decode_dir>/<set>/eval")
    parser.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument("--nj", type=int, default=1, help="worker processes")
    parser.add_argument("--max_samples_on_page", type=int, default=20, help="utterances shown on index.html")
    parser.add_argument("--eval_fs", type=int, default=None,
                        help="rate of the WORLD metrics (default: the lower of converted and target)")  # fmt: skip
    parser.add_argument("--f0_method", default="harvest", choices=["harvest", "dio"])
    parser.add_argument("--f0_floor", type=float, default=50.0, help="Hz")
    parser.add_argument("--f0_ceil", type=float, default=600.0, help="Hz")
    parser.add_argument("--frame_period_ms", type=float, default=5.0)
    parser.add_argument("--mcep_order", type=int, default=None, help="default: by rate (doc/evaluation.md)")
    parser.add_argument("--mcep_alpha", type=float, default=None, help="default: by rate (doc/evaluation.md)")
    parser.add_argument("--silence_db", type=float, default=-20.0, help="silence threshold, dB re. mean frame power")
    parser.add_argument("--sp_floor_db", type=float_or_none, default=-80.0,
                        help="spectral envelope floor before MCD, dB re. its maximum (none: no floor)")  # fmt: skip
    parser.add_argument("--no_progress", action="store_true", help="no progress bar")
    parser.add_argument("--log_level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def main(cmd: list[str] | None = None) -> None:
    """Run the evaluation; exit with a message on bad options or when nothing could be evaluated."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    from espnet2_vc.evaluate.pipeline import SetInputs, evaluate_set

    try:
        settings = EvalSettings(
            metrics=tuple(m.strip() for m in args.metrics.split(",") if m.strip()),
            world=WorldSettings(**{k: getattr(args, k) for k in WORLD_OPTIONS}),
            eval_fs=args.eval_fs,
        )
        if args.nj < 1:
            raise ValueError("--nj must be >= 1")
        inputs = SetInputs(args.converted_scp, args.target_scp, args.source_scp, args.text, tuple(args.rtf),
                           args.utt2tgt_spk, args.utt2spk, args.analysis_scp)  # fmt: skip
        evaluate_set(inputs, args.output_dir, settings, args.nj, args.max_samples_on_page, not args.no_progress)
    except (ValueError, RuntimeError, FileNotFoundError) as e:
        logging.debug("traceback", exc_info=True)
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
