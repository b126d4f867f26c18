#!/usr/bin/env python3
"""Turn mels into wavs with a vocoder: converted mels, or recordings for analysis-synthesis.

The mels come from a kaldi scp (``--feats_scp``, e.g. ``decode/denorm/feats.scp`` of ``vc_inference``) or are
computed from recordings (``--wav_scp``) with the mel extractor of ``--vc_config``: the target's own recordings
through the vocoder give the analysis-synthesis row of the evaluation (the vocoder's share of the error).
Writes ``wav/<utt>.wav`` (16-bit PCM), ``wav.scp`` and ``rtf`` under ``--output_dir``. A HiFi-GAN's saved mel
settings must equal those of ``--vc_config`` (the VC model that made the mels).
"""

import argparse
import logging
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vc_config", required=True, help="config.yaml of the VC model that made the mels")
    parser.add_argument("--vocoder", default="hifigan", choices=["hifigan", "vocos", "griffin_lim"],
                        help="the trained vocoder's --generator, or griffin_lim")
    parser.add_argument("--model_file", default=None, help="exp/<voc>/<checkpoint>.pth (hifigan, vocos)")
    parser.add_argument("--config_file", default=None, help="exp/<voc>/config.yaml (default: next to --model_file)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--feats_scp", help="kaldi scp of denormalized log-mels (T, n_mels)")
    source.add_argument("--wav_scp", help="recordings at the VC config's rate (analysis-synthesis)")
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--log_level", default="INFO")
    return parser


def main(cmd: Optional[List[str]] = None) -> None:
    """Vocode every utterance of ``--feats_scp``."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    import soundfile as sf
    import torch
    from espnet2.fileio.datadir_writer import DatadirWriter

    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.registry import build_vocoder

    if args.vocoder != "griffin_lim" and args.model_file is None:
        raise SystemExit(f"error: --vocoder {args.vocoder} needs --model_file")
    mel = mel_config(args.vc_config)
    conf = dict(model_file=args.model_file, config_file=args.config_file) if args.vocoder != "griffin_lim" else {}
    vocoder = build_vocoder(args.vocoder, conf, mel, device="cuda" if args.ngpu > 0 else "cpu")
    (args.output_dir / "wav").mkdir(parents=True, exist_ok=True)
    fs, n = int(mel["fs"]), 0
    with DatadirWriter(args.output_dir) as writer:
        for utt, feats in _mels(args, fs):
            start = time.perf_counter()
            wav = vocoder(torch.tensor(feats)).cpu().numpy()
            rtf = (time.perf_counter() - start) / max(len(wav) / fs, 1e-9)
            path = args.output_dir / "wav" / f"{utt}.wav"
            sf.write(path, wav.clip(-1.0, 1.0), fs, subtype="PCM_16")
            writer["wav.scp"][utt] = str(path)
            writer["rtf"][utt] = f"{rtf:.4f}"
            n += 1
            logging.info(f"{utt}: {feats.shape[0]} frames → {len(wav) / fs:.2f} s, rtf {rtf:.3f}")
    logging.info(f"vocoded {n} utterances into {args.output_dir}")


def _mels(args: argparse.Namespace, fs: int) -> Iterator[Tuple[str, Any]]:
    """``(utt, mel (T, n_mels))`` of ``--feats_scp``, or computed from the audio of ``--wav_scp``."""
    import kaldiio

    if args.feats_scp is not None:
        yield from kaldiio.load_scp_sequential(str(args.feats_scp))
        return
    import torch
    from espnet2.tts.feats_extract.log_mel_fbank import LogMelFbank

    from espnet2_vc.utils.audio import read_audio
    from espnet2_vc.utils.config import resolved_conf
    from espnet2_vc.utils.kaldi import read_scp

    extract = LogMelFbank(**resolved_conf(args.vc_config, "feats_extract"))
    for utt, path in read_scp(args.wav_scp).items():
        wav = torch.from_numpy(read_audio(path, fs))[None]
        feats, _ = extract(wav, torch.tensor([wav.size(1)]))
        yield utt, feats[0].numpy()


if __name__ == "__main__":
    main()
