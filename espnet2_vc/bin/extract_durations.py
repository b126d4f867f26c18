"""Stage 4: durations of a parallel set, from DTW or a trained teacher.

``python -m espnet2_vc.bin.extract_durations --help``
"""

import argparse
import logging
import sys

from espnet2_vc.durations.extract import AlignSettings, SampleRateError, extract_durations


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Source-frame durations (summing to the reduced target length) of parallel audio, from DTW of "
        "mel-cepstra (--method dtw) or the attention of a trained autoregressive teacher (--method teacher).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--vc_config", required=True, help="VC training config: mel settings and reduction factor")
    parser.add_argument("--src_scp", required=True, help="source wav.scp (<utt> <path>)")
    parser.add_argument("--tgt_scp", required=True, help="target tgt_wav.scp with the same utt ids")
    parser.add_argument("--output_dir", required=True, help="writes <output_dir>/durations and <output_dir>/skipped")
    parser.add_argument("--method", default="dtw", choices=["dtw", "teacher"])
    parser.add_argument("--nj", type=int, default=1, help="worker processes (dtw) or threads (teacher)")
    parser.add_argument(
        "--max_length_ratio", type=float, default=AlignSettings.max_length_ratio,
        help="skip pairs whose reduced lengths differ more than this (in a recipe stage 2's --max_ratio, 3 by default, "
        "has dropped them already)",
    )
    group = parser.add_argument_group("teacher (--method teacher; writes <output_dir>/focus_rate too)")
    group.add_argument("--teacher_config", help="the teacher's exp/<teacher>/config.yaml")
    group.add_argument("--teacher_model", help="its weights, e.g. exp/<teacher>/valid.loss.ave.pth")
    group.add_argument("--focus_rate_threshold", type=float, default=0.0,
                       help="skip pairs whose best attention head has a lower focus rate (0: keep all)")  # fmt: skip
    group.add_argument("--utt2src_sid", help="source speaker ids, for a many-to-many teacher")
    group.add_argument("--utt2tgt_sid", help="target speaker ids, likewise")
    parser.add_argument("--log_level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def main(cmd: list[str] | None = None) -> None:
    """Run the extraction; exit with status 1 and a message when nothing could be aligned."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    if args.nj < 1 or args.max_length_ratio < 1.0:
        sys.exit("error: --nj must be >= 1 and --max_length_ratio >= 1")
    try:
        if args.method == "dtw":
            settings = AlignSettings.from_config(args.vc_config, args.max_length_ratio)
            extract_durations(args.src_scp, args.tgt_scp, args.output_dir, settings, nj=args.nj)
            return
        if not (args.teacher_config and args.teacher_model):
            sys.exit("error: --method teacher needs --teacher_config and --teacher_model (vc.sh stage 4 trains them)")
        import torch

        from espnet2_vc.durations.teacher import TeacherAligner, extract_teacher_durations

        torch.set_num_threads(args.nj)
        torch.manual_seed(0)  # the decoder prenet's dropout stays on (Tacotron2): make the durations repeatable
        aligner = TeacherAligner(args.teacher_config, args.teacher_model, args.vc_config, args.max_length_ratio)
        sids = {k: v for k, v in (("src_sids", args.utt2src_sid), ("tgt_sids", args.utt2tgt_sid)) if v}
        extract_teacher_durations(aligner, args.src_scp, args.tgt_scp, args.output_dir, args.focus_rate_threshold, sids)
    except (SampleRateError, RuntimeError, ValueError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
