#!/usr/bin/env python3
"""Turn mels (a kaldi scp, e.g. ``decode/denorm/feats.scp`` of ``vc_inference``) into wavs with a trained vocoder.

Writes ``wav/<utt>.wav`` (16-bit PCM), ``wav.scp`` and ``rtf`` under ``--output_dir``. The vocoder's saved mel
settings must equal those of ``--vc_config`` (the VC model that made the mels).
"""

import argparse
import logging
import time
from pathlib import Path
from typing import List, Optional


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vc_config", required=True, help="config.yaml of the VC model that made the mels")
    parser.add_argument("--model_file", required=True, help="exp/<voc>/<checkpoint>.pth")
    parser.add_argument("--config_file", default=None, help="exp/<voc>/config.yaml (default: next to --model_file)")
    parser.add_argument("--feats_scp", required=True, help="kaldi scp of denormalized log-mels (T, n_mels)")
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--log_level", default="INFO")
    return parser


def main(cmd: Optional[List[str]] = None) -> None:
    """Vocode every utterance of ``--feats_scp``."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s")
    import kaldiio
    import soundfile as sf
    import torch
    from espnet2.fileio.datadir_writer import DatadirWriter

    from espnet2_vc.utils.config import mel_config
    from espnet2_vc.vocoder.hifigan_vocoder import HiFiGANVocoder

    mel = mel_config(args.vc_config)
    vocoder = HiFiGANVocoder(mel, args.model_file, args.config_file, device="cuda" if args.ngpu > 0 else "cpu")
    (args.output_dir / "wav").mkdir(parents=True, exist_ok=True)
    fs, n = int(mel["fs"]), 0
    with DatadirWriter(args.output_dir) as writer:
        for utt, feats in kaldiio.load_scp_sequential(str(args.feats_scp)):
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


if __name__ == "__main__":
    main()
