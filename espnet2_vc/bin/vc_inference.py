#!/usr/bin/env python3
"""Convert a data dir (or wav files) with a trained VC model.

Writes, under ``--output_dir``: ``norm/feats.{ark,scp}`` and ``denorm/feats.{ark,scp}`` (kaldi, via kaldiio),
``durations/durations`` (``utt d1 d2 …`` per reduced source frame), ``wav/<utt>.wav`` and ``wav.scp``
(when a vocoder is set) and ``rtf`` (real-time factor per utterance). An utterance that cannot be
converted (NaN samples, too short, unreadable ``--wav`` file, …) is listed with its reason in ``failed``
(``input/failed`` for ``--wav`` files); the others are still converted, and the exit status is then 1.
"""

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import soundfile as sf

from espnet2_vc.utils.audio import AudioError, read_audio
from espnet2_vc.utils.kaldi import scp_head, write_kaldi


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    from espnet2.utils import config_argparse
    from espnet2.utils.nested_dict_action import NestedDictAction
    from espnet2.utils.types import str2bool, str2triple_str

    parser = config_argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # config_argparse adds --config: a yaml of these options (e.g. conf/decode.yaml), unknown keys are errors.
    parser.add_argument("--train_config", default=None, help="exp/<vc_exp>/config.yaml (not with a .zip)")
    parser.add_argument("--model_file", required=True,
                        help="exp/<vc_exp>/<name>.pth, a packed model.zip (vc_pack) or an exp folder")
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument(
        "--data_path_and_name_and_type", type=str2triple_str, action="append", default=[],
        help="e.g. dump/raw/eval/wav.scp,src_speech,sound; add tgt_speech and durations for teacher forcing, "
        "utt2src_sid,src_sids,text_int and utt2tgt_sid,tgt_sids,text_int for many-to-many models",
    )  # fmt: skip
    parser.add_argument("--wav", action="append", default=[], help="a wav file to convert (repeatable)")
    parser.add_argument("--key_file", default=None, help="convert only these utterances")
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--num_workers", type=int, default=1)
    parser.add_argument("--use_teacher_forcing", type=str2bool, default=False,
                        help="use reference durations, pitch and energy; outputs have the target's length")
    parser.add_argument("--alpha", type=float, default=1.0, help="speaking rate (>1 faster)")
    parser.add_argument("--decode_conf", action=NestedDictAction, default={},
                        help="options of the network's decoding, e.g. threshold=0.5 maxlenratio=3 (VTN)")
    parser.add_argument("--vocoder", default="griffin_lim",
                        help="griffin_lim, hifigan or vocos (with --vocoder_conf model_file=…) or none")
    parser.add_argument("--vocoder_conf", action=NestedDictAction, default={}, help="e.g. griffin_lim_iters=64")
    parser.add_argument("--src_spk", default=None, help="many-to-many: the source speaker's name (spk2sid)")
    parser.add_argument("--tgt_spk", default=None, help="many-to-many: the target speaker's name (spk2sid)")
    parser.add_argument("--log_level", default="INFO")
    return parser


def wavs_to_scp(wavs: Sequence[str], fs: int, out_dir: Path) -> Tuple[Path, Dict[str, str]]:
    """Resample the given wav files to ``fs`` under ``out_dir/input`` and list them in a scp (ids = stems).

    Returns:
        The scp, and the files that cannot be read by id with the reason (also in ``out_dir/input/failed``).
    """
    (out_dir / "input").mkdir(parents=True, exist_ok=True)
    scp = out_dir / "input" / "wav.scp"
    seen, failed = set(), {}
    with scp.open("w", encoding="utf-8") as f:
        for path in sorted(wavs):
            utt = Path(path).stem
            if utt in seen:
                raise ValueError(f"{path}: two inputs share the name {utt!r}; rename one")
            seen.add(utt)
            try:
                wav = read_audio(path, fs)
            except (AudioError, sf.LibsndfileError) as e:  # one bad file must not stop the others
                failed[utt] = f"{getattr(e, 'reason', 'unreadable')}: {path}: {e}".replace("\n", " ")
                logging.error(f"{utt}: not converted: {failed[utt]}")
                continue
            target = out_dir / "input" / f"{utt}.wav"
            sf.write(target, wav, fs, subtype="PCM_16")
            f.write(f"{utt} {target}\n")
    write_kaldi(out_dir / "input" / "failed", failed)
    return scp, failed


def first_readable_rate(scp: str, n: int = 50) -> Optional[int]:
    """The sampling rate of the first readable file among the first ``n`` of ``scp`` (None: none readable;
    the unreadable ones are reported per utterance by the conversion).

    Raises:
        ValueError: ``scp`` lists no file.
    """
    head = scp_head(scp, n)
    if not head:
        raise ValueError(f"{scp}: no '<utt_id> <path>' line; is it an empty data dir?")
    for _, path in head:
        try:
            return int(sf.info(path).samplerate)
        except (sf.LibsndfileError, RuntimeError):
            continue
    return None


def main(cmd: Optional[List[str]] = None) -> None:
    """Convert every utterance and write features, durations and wavs."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    from espnet2_vc.inference import VoiceConverter, convert_dataset, resolve_model
    from espnet2_vc.utils.config import mel_config

    config, model_file, extra = args.train_config, args.model_file, {}
    if config is None:
        config, model_file, extra = resolve_model(args.model_file)
    fs = int(mel_config(config)["fs"])
    data: List[Tuple[str, str, str]] = list(args.data_path_and_name_and_type)
    unread: Dict[str, str] = {}
    if args.wav:
        scp, unread = wavs_to_scp(args.wav, fs, args.output_dir)
        if len(unread) == len(args.wav):
            sys.exit(f"no input could be read: see {args.output_dir / 'input' / 'failed'}")
        data.append((str(scp), "src_speech", "sound"))
    if not any(name == "src_speech" for _, name, _ in data):
        sys.exit("give --wav files or --data_path_and_name_and_type <wav.scp>,src_speech,sound")
    for path, _, kind in data:
        if kind == "sound":
            try:
                rate = first_readable_rate(path)
            except ValueError as e:
                sys.exit(str(e))
            if rate is not None and rate != fs:
                sys.exit(f"{path}: audio is {rate} Hz but the model expects {fs} Hz; dump it at {fs} Hz "
                         "(vc.sh stage 2) or pass the files with --wav to resample them")  # fmt: skip
    vocoder = dict(vocoder=args.vocoder, vocoder_conf=args.vocoder_conf)
    if extra and args.vocoder == "griffin_lim" and not args.vocoder_conf:
        vocoder = extra  # the pack's own vocoder unless another one is asked for
    vc = VoiceConverter(config, model_file, device="cuda" if args.ngpu > 0 else "cpu",
                        use_teacher_forcing=args.use_teacher_forcing, alpha=args.alpha, decode_conf=args.decode_conf,
                        **vocoder)  # fmt: skip
    for name in (args.src_spk, args.tgt_spk):
        if name is not None:
            try:
                vc.speaker_id(name)
            except ValueError as e:
                sys.exit(str(e))
    n, failed = convert_dataset(vc, data, args.output_dir, key_file=args.key_file, num_workers=args.num_workers,
                                src_spk=args.src_spk, tgt_spk=args.tgt_spk)  # fmt: skip
    logging.info(f"converted {n} utterances into {args.output_dir}")
    if failed or unread:
        sys.exit(f"{failed + len(unread)} utterance(s) not converted, listed with the reason in "
                 f"{args.output_dir / 'failed'} (conversion) and {args.output_dir / 'input' / 'failed'} (--wav)")


if __name__ == "__main__":
    main()
