"""Real-time factor of whole conversion against espnet's FastSpeech2 + HiFi-GAN V1 on the same audio, warm.

Usage:
    python bench/convert_rtf.py [--zip model.zip] [--wav_scp dump/raw/dev/wav.scp] [--n 10] [--device cpu]

Ours: ``VoiceConverter.from_pretrained(zip)`` on each source wav: trimming, mel / pitch / energy features, NARS2S
and the pack's vocoder (Griffin-Lim when the pack has none), timed per utterance after one untimed warm-up.
Anchor, in the same process and on the same utterances, alternating with ours: espnet2's ``FastSpeech2.inference``
at the pack's network sizes (tokens = our reduced source frames, our predicted durations forced so that both
make the same number of frames) followed by espnet's ``HiFiGANGenerator`` at its defaults (V1: 512 channels,
upsampling 8·8·2·2, or 5·5·4·3 for hop 300). The anchor's weights are random: its cost does not depend on them.
RTF = compute seconds / seconds of input audio, summed over the utterances (CUDA-synchronized on a GPU).

Then a data dir converted as ``vc_inference`` does (:func:`espnet2_vc.inference.convert_dataset`, the outputs
written, after one untimed call on one utterance for its one-off imports; the process start-up is
``bench/startup.py``'s), reported as seconds of audio per wall second. The last line is ``key=value``
(``rtf``, ``anchor_rtf``, ``anchor/ours``, ``datadir_audio_s_per_s``). Results: doc/performance.md.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "egs" / "mini_flite" / "vc1"
sys.path.insert(0, str(ROOT / "bench"))
from train_throughput import SHARED  # noqa: E402  (the options NARS2S and FastSpeech2 share)


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", default=str(MINI / "exp" / "vc_train_train_debug" / "packed" / "model.zip"))
    parser.add_argument("--wav_scp", default=str(MINI / "dump" / "raw" / "eval" / "wav.scp"),
                        help="source utterances (<utt> <path>; relative to the folder above dump/)")  # fmt: skip
    parser.add_argument("--n", type=int, default=10, help="utterances")
    parser.add_argument("--device", default="cpu")
    return parser


def read_wavs(scp: Path, n: int) -> List[Tuple[str, np.ndarray, int]]:
    """The first ``n`` utterances of a wav.scp (relative paths resolved against the folder above ``dump/``)."""
    base = next((p.parent for p in scp.resolve().parents if p.name == "dump"), scp.parent)
    out = []
    for line in scp.read_text().splitlines()[:n]:
        utt, path = line.split(maxsplit=1)
        wav, fs = sf.read(path if Path(path).is_absolute() else base / path, dtype="float32")
        out.append((utt, wav, fs))
    return out


def anchor(vc: Any, device: str) -> Tuple[torch.nn.Module, torch.nn.Module]:
    """espnet's FastSpeech2 at the pack's sizes and HiFi-GAN V1 for its mels (random weights)."""
    from espnet2.gan_tts.hifigan import HiFiGANGenerator
    from espnet2.tts.fastspeech2 import FastSpeech2

    tts_conf = dict(vc.train_args.tts_conf)
    shared = {k: v for k, v in tts_conf.items() if k in SHARED}
    n_mels, hop = int(vc.mel["n_mels"]), int(vc.mel["hop_length"])
    scales = {256: [8, 8, 2, 2], 300: [5, 5, 4, 3], 128: [8, 4, 2, 2]}.get(hop)
    if scales is None:
        sys.exit(f"no HiFi-GAN V1 upsampling for hop {hop} (256, 300, 128)")
    fs2 = FastSpeech2(idim=41, odim=n_mels, **shared).to(device).eval()
    voc = HiFiGANGenerator(in_channels=n_mels, upsample_scales=scales, upsample_kernel_sizes=[2 * s for s in scales])
    voc.remove_weight_norm()
    return fs2, voc.to(device).eval()


def timed(fn: Any, device: str) -> Tuple[Any, float]:
    """``fn()`` and its seconds (CUDA-synchronized)."""
    start = time.perf_counter()
    out = fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


@torch.no_grad()
def main() -> None:
    args = get_parser().parse_args()
    from espnet2_vc import VoiceConverter
    from espnet2_vc.inference import convert_dataset

    vc = VoiceConverter.from_pretrained(args.zip, device=args.device)
    wavs = read_wavs(Path(args.wav_scp), args.n)
    fs2, hifigan = anchor(vc, args.device)
    r = int(vc.train_args.tts_conf.get("reduction_factor", 1))

    def ours(wav: np.ndarray, fs: int) -> Dict[str, Any]:
        return vc(wav, fs)

    def theirs(n_tokens: int, durations: torch.Tensor) -> torch.Tensor:
        text = torch.randint(1, 40, (n_tokens,), device=args.device)
        ds = torch.cat([durations, durations.new_zeros(1)])  # the eos token FastSpeech2 appends
        p = torch.zeros(n_tokens + 1, 1, device=args.device)
        feats = fs2.inference(text, durations=ds, pitch=p, energy=p, use_teacher_forcing=True)["feat_gen"]
        return hifigan.inference(feats).view(-1)

    ours(*wavs[0][1:])  # warm-up, untimed (both)
    first = ours(*wavs[0][1:])
    theirs(len(first["duration"]), first["duration"])
    seconds = {"ours": 0.0, "anchor": 0.0}
    audio = 0.0
    for utt, wav, fs in wavs:
        out, t = timed(lambda: ours(wav, fs), args.device)  # noqa: B023  (called at once)
        seconds["ours"] += t
        _, t = timed(lambda: theirs(len(out["duration"]), out["duration"]), args.device)  # noqa: B023
        seconds["anchor"] += t
        audio += len(wav) / fs
        print(f"{utt}: {len(wav) / fs:.2f} s, {out['feat_gen'].size(0)} frames (r={r}), rtf {out['rtf']:.4f}")
    rtf, anchor_rtf = seconds["ours"] / audio, seconds["anchor"] / audio

    with tempfile.TemporaryDirectory() as tmp:
        scp = Path(tmp) / "wav.scp"
        paths = []
        for utt, wav, fs in wavs:
            sf.write(Path(tmp) / f"{utt}.wav", wav, fs)
            paths.append(f"{utt} {Path(tmp) / f'{utt}.wav'}")
        scp.write_text("\n".join(paths[:1]) + "\n")
        convert_dataset(vc, [(str(scp), "src_speech", "sound")], Path(tmp) / "warm")  # its one-off imports
        scp.write_text("\n".join(paths) + "\n")
        (n, failed), wall = timed(lambda: convert_dataset(vc, [(str(scp), "src_speech", "sound")], Path(tmp) / "o"),
                                  args.device)  # fmt: skip
    datadir = audio / wall
    print(f"{len(wavs)} utterances, {audio:.1f} s of audio, {torch.get_num_threads()} threads, device {args.device}, "
          f"vocoder {type(vc.vocoder).__name__}; data dir: {n} converted, {failed} failed in {wall:.1f} s")
    print(f"rtf={rtf:.4f} anchor_rtf={anchor_rtf:.4f} anchor/ours={anchor_rtf / rtf:.2f} "
          f"datadir_audio_s_per_s={datadir:.1f}")


if __name__ == "__main__":
    main()
