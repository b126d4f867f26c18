"""Training throughput of NARS2S against espnet2's FastSpeech2 at equal size and batch, interleaved in one process.

Usage:
    python bench/train_throughput.py [--config egs/arctic/vc1/conf/train_cpu.yaml] [--steps 20] [--device cpu]
        [--compile inductor] [--autocast bfloat16]      # the GPU switches (--compile_conf, espnet's --use_amp)

Both networks get the config's ``tts_conf`` sizes (hidden size, heads, layers, units, block types, conformer
kernels, reduction factor, postnet, duration / pitch / energy predictors) and the same batch: ``batch_size``
pairs with the source and target lengths of real utterances (``--lengths_from``: a dump/raw/<set> of a recipe,
default the ARCTIC one when it has been dumped, else the mini recipe's), features given (random mels, pitch and
energy: the cost of a step does not depend on their values). FastSpeech2's tokens are NARS2S's reduced source
frames (the same encoder length); its durations are the same per-frame durations. A step is forward +
backward + Adam step; the two alternate step by step after ``--warmup`` steps each, so that a noisy minute hits
both alike. The figure is target frames per second (the batch's target frames / the median step time).

The last line: ``nars2s_fps=… fastspeech2_fps=… ratio=… peak_rss_mb=… rss_growth_mb=…`` (ratio: NARS2S ÷
FastSpeech2; RSS growth: resident memory after the last round minus after the middle one, both networks
alive: the allocator has settled by then, so a leak shows as growth over the second half). Results: doc/performance.md.
"""

import argparse
import resource
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
DUMPS = [ROOT / "egs" / corpus / "vc1" / "dump" / "raw" / "train" for corpus in ("arctic", "mini_flite")]
# NARS2S options that FastSpeech2 has under the same name (everything else keeps FastSpeech2's default).
SHARED = ("adim", "aheads", "elayers", "eunits", "dlayers", "dunits", "encoder_type", "decoder_type",
          "reduction_factor", "postnet_layers", "postnet_chans", "postnet_filts", "use_batch_norm",
          "conformer_enc_kernel_size", "conformer_dec_kernel_size", "duration_predictor_layers",
          "duration_predictor_chans", "pitch_predictor_layers", "pitch_predictor_chans", "pitch_predictor_dropout",
          "energy_predictor_layers", "energy_predictor_chans", "stop_gradient_from_pitch_predictor",
          "stop_gradient_from_energy_predictor", "init_type")  # fmt: skip


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "egs" / "arctic" / "vc1" / "conf" / "train_cpu.yaml"))
    parser.add_argument("--lengths_from", default=None, help="dump/raw/<set> with utt2num_samples (default: see above)")
    parser.add_argument("--batch_size", type=int, default=None, help="pairs per batch (default: the config's)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each network")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of each network first")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compile", default=None, help="torch.compile NARS2S with this backend (inductor)")
    parser.add_argument("--autocast", default=None, choices=["bfloat16", "float16"],
                        help="run both steps under torch.autocast with this dtype (espnet's --use_amp)")  # fmt: skip
    return parser


def batch_lengths(dump: Path, n: int, hop: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Source and target frame counts of ``n`` random pairs of ``dump`` (one frame per hop, plus one)."""
    def frames(name: str) -> Dict[str, int]:
        return {u: 1 + int(s) // hop for u, s in (line.split() for line in (dump / name).read_text().splitlines())}

    src, tgt = frames("utt2num_samples"), frames("tgt_utt2num_samples")
    utts = rng.choice(sorted(src), size=n, replace=len(src) < n)
    return np.array([src[u] for u in utts]), np.array([tgt[u] for u in utts])


def make_batch(src_len: np.ndarray, tgt_len: np.ndarray, r: int, odim: int, rng: np.random.Generator,
               device: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:  # fmt: skip
    """The same pairs as NARS2S's and FastSpeech2's inputs (lengths cut to multiples of ``r``)."""
    src_len, tgt_len = src_len - src_len % r, tgt_len - tgt_len % r
    n_src, n_tgt = src_len // r, tgt_len // r
    b, t_src, t_tgt, n = len(src_len), int(src_len.max()), int(tgt_len.max()), int(n_src.max())
    durations = np.zeros((b, n), dtype=np.int64)
    for i in range(b):  # each target step given to a random source frame
        durations[i, : n_src[i]] = rng.multinomial(n_tgt[i], np.full(n_src[i], 1.0 / n_src[i]))
    t = lambda x, dtype=torch.float32: torch.as_tensor(x, dtype=dtype, device=device)  # noqa: E731
    src, tgt = t(rng.normal(size=(b, t_src, odim))), t(rng.normal(size=(b, t_tgt, odim)))
    pitch, energy = t(rng.normal(size=(b, t_tgt, 1))), t(rng.normal(size=(b, t_tgt, 1)))
    lens = dict(src=t(src_len, torch.long), tgt=t(tgt_len, torch.long), n=t(n_src, torch.long))
    nars2s = dict(src_feats=src, src_feats_lengths=lens["src"], tgt_feats=tgt, tgt_feats_lengths=lens["tgt"],
                  durations=t(durations, torch.long), durations_lengths=lens["n"], pitch=pitch, energy=energy,
                  src_pitch=t(rng.normal(size=(b, t_src, 1))),
                  src_energy=t(rng.normal(size=(b, t_src, 1))))  # fmt: skip
    # FastSpeech2: n_src - 1 tokens plus the eos it appends; token-averaged pitch / energy per token.
    tokens = t(rng.integers(1, 40, size=(b, n - 1)), torch.long)
    fs2 = dict(text=tokens, text_lengths=lens["n"] - 1, feats=tgt, feats_lengths=lens["tgt"],
               durations=t(durations, torch.long), durations_lengths=lens["n"], pitch=t(rng.normal(size=(b, n, 1))),
               pitch_lengths=lens["n"], energy=t(rng.normal(size=(b, n, 1))), energy_lengths=lens["n"])  # fmt: skip
    return nars2s, fs2


def build(tts_conf: Dict[str, Any], odim: int, device: str) -> Dict[str, torch.nn.Module]:
    """NARS2S from the config, and FastSpeech2 with the options they share."""
    from espnet2.tts.fastspeech2 import FastSpeech2

    from espnet2_vc.vc.nars2s.nars2s import NARS2S

    shared = {k: v for k, v in tts_conf.items() if k in SHARED}
    return {"nars2s": NARS2S(idim=odim, odim=odim, **tts_conf).to(device),
            "fastspeech2": FastSpeech2(idim=41, odim=odim, **shared).to(device)}  # fmt: skip


def step_fn(model: torch.nn.Module, batch: Dict[str, torch.Tensor], device: str,
            autocast: Optional[str] = None) -> Callable[[], float]:  # fmt: skip
    """One timed forward + backward + Adam step (seconds, CUDA-synchronized), under autocast if asked."""
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    dtype = getattr(torch, autocast) if autocast else None

    def step() -> float:
        start = time.perf_counter()
        with torch.autocast(device.split(":")[0], dtype=dtype, enabled=dtype is not None):
            loss = model(**batch)[0]
        optim.zero_grad()
        loss.backward()
        optim.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    return step


def rss_mb() -> float:
    """Current resident memory (MB)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    from espnet2_vc.vc.compile import CompileSettings

    args = get_parser().parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    tts_conf, mel = dict(config.get("tts_conf") or {}), config.get("feats_extract_conf") or {}
    odim, hop = int(mel.get("n_mels", 80)), int(mel.get("hop_length", 256))
    r = int(tts_conf.get("reduction_factor", 1))
    dump = Path(args.lengths_from) if args.lengths_from else next(d for d in DUMPS if (d / "utt2num_samples").exists())
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    batch_size = args.batch_size or int(config.get("batch_size", 16))
    src_len, tgt_len = batch_lengths(dump, batch_size, hop, rng)
    nars2s_batch, fs2_batch = make_batch(src_len, tgt_len, r, odim, rng, args.device)
    models = build(tts_conf, odim, args.device)
    if args.compile:  # NARS2S only, in place, as --compile_conf does (espnet's FastSpeech2 fails under inductor
        CompileSettings(enable=True, backend=args.compile).apply(models["nars2s"])  # on torch 2.9.1: a stride assert)
    steps = {"nars2s": step_fn(models["nars2s"], nars2s_batch, args.device, args.autocast),
             "fastspeech2": step_fn(models["fastspeech2"], fs2_batch, args.device, args.autocast)}  # fmt: skip
    for step in steps.values():
        for _ in range(args.warmup):
            step()
    times: Dict[str, List[float]] = {name: [] for name in steps}
    rss = []
    for _ in range(args.steps):
        for name, step in steps.items():
            times[name].append(step())
        rss.append(rss_mb())
    frames = int((tgt_len - tgt_len % r).sum())
    fps = {name: frames / statistics.median(t) for name, t in times.items()}
    params = {name: sum(p.numel() for p in m.parameters()) / 1e6 for name, m in models.items()}
    print(f"config {args.config}; batch {batch_size} pairs from {dump}: {frames} target frames "
          f"(source {int(src_len.sum())}), r={r}, {torch.get_num_threads()} threads, device {args.device}, "
          f"compile {args.compile}, autocast {args.autocast}")
    print("RSS after each round (MB): " + " ".join(f"{v:.0f}" for v in rss))
    for name in steps:
        t = times[name]
        print(f"{name:<12} {params[name]:6.2f} M params  step median {statistics.median(t):.3f} s "
              f"(min {min(t):.3f}, max {max(t):.3f})  {fps[name]:8.0f} target frames/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = f" peak_gpu_mb={torch.cuda.max_memory_allocated() / 2**20:.0f}" if args.device.startswith("cuda") else ""
    growth = rss[-1] - rss[len(rss) // 2]
    print(f"nars2s_fps={fps['nars2s']:.0f} fastspeech2_fps={fps['fastspeech2']:.0f} "
          f"ratio={fps['nars2s'] / fps['fastspeech2']:.2f} peak_rss_mb={peak:.0f} rss_growth_mb={growth:.0f}{gpu}")


if __name__ == "__main__":
    main()
