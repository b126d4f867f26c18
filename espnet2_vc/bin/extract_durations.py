"""Extract DTW durations for a parallel set: ``python -m espnet2_vc.bin.extract_durations --help``."""

import argparse
import logging
import sys

from espnet2_vc.durations.extract import AlignSettings, SampleRateError, extract_durations
from espnet2_vc.utils.config import mel_config, reduction_factor


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Source-frame durations (summing to the reduced target length) from DTW of parallel audio.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--vc_config", required=True, help="VC training config: mel settings and reduction factor")
    parser.add_argument("--src_scp", required=True, help="source wav.scp (<utt> <path>)")
    parser.add_argument("--tgt_scp", required=True, help="target tgt_wav.scp with the same utt ids")
    parser.add_argument("--output_dir", required=True, help="writes <output_dir>/durations and <output_dir>/skipped")
    parser.add_argument("--nj", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--max_length_ratio", type=float, default=4.0, help="skip pairs whose reduced lengths differ more than this"
    )
    parser.add_argument("--log_level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def settings_from_config(vc_config: str, max_length_ratio: float) -> AlignSettings:
    """Alignment settings read from a VC config (never retyped)."""
    mel = mel_config(vc_config)
    return AlignSettings(
        fs=int(mel["fs"]),
        n_fft=int(mel["n_fft"]),
        hop_length=int(mel["hop_length"]),
        win_length=int(mel["win_length"]),
        fmin=mel.get("fmin"),
        fmax=mel.get("fmax"),
        reduction_factor=reduction_factor(vc_config),
        max_length_ratio=max_length_ratio,
    )


def main(cmd: list[str] | None = None) -> None:
    """Run the extraction; exit with status 1 and a message when nothing could be aligned."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    if args.nj < 1 or args.max_length_ratio < 1.0:
        sys.exit("error: --nj must be >= 1 and --max_length_ratio >= 1")
    settings = settings_from_config(args.vc_config, args.max_length_ratio)
    try:
        extract_durations(args.src_scp, args.tgt_scp, args.output_dir, settings, nj=args.nj)
    except (SampleRateError, RuntimeError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
