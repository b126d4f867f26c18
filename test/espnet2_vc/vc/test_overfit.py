"""The model can memorise one real parallel pair: its mel L1 falls at least 3× in 150 steps (3.7× measured).

Asserted on the mel loss, not the total: the duration and prosody terms fall fastest and could carry the total.
"""

import argparse
import os

import numpy as np
import pytest
import soundfile as sf
import torch

from espnet2_vc.vc.reduction import reduced_source_lengths, reduced_target_lengths

UTT = "arctic_a0004"


def uniform_durations(ns: int, nt: int) -> torch.Tensor:
    d = torch.full((ns,), nt // ns, dtype=torch.long)
    d[: nt - int(d.sum())] += 1
    return d


def write_stats(path: str, x: torch.Tensor) -> str:
    x = x.reshape(-1, x.size(-1)).double().numpy()
    np.savez(path, count=len(x), sum=x.sum(0), sum_square=(x**2).sum(0))
    return path


@pytest.mark.parametrize("reduction_factor", [2])
def test_overfit_one_real_pair(arctic_dir, tmp_path, reduction_factor):
    from espnet2_vc.tasks.vc import VCTask

    torch.manual_seed(0)
    src, fs = sf.read(os.path.join(arctic_dir, "cmu_us_kathleen_arctic", "wav", f"{UTT}.flac"), dtype="float32")
    tgt, _ = sf.read(os.path.join(arctic_dir, "cmu_us_fraser_arctic", "wav", f"{UTT}.flac"), dtype="float32")
    src, tgt = torch.from_numpy(src)[None], torch.from_numpy(tgt)[None]
    src_len, tgt_len = torch.tensor([src.size(1)]), torch.tensor([tgt.size(1)])
    conf = dict(
        feats_extract="fbank", feats_extract_conf=dict(fs=fs, n_fft=1024, hop_length=256, n_mels=80),
        normalize=None, tgt_normalize=None, pitch_extract="dio", pitch_extract_conf=dict(f0min=60, f0max=400),
        pitch_normalize=None, energy_extract="energy", energy_extract_conf={}, energy_normalize=None,
        tts="nars2s", tts_conf=dict(adim=64, aheads=2, elayers=2, eunits=128, dlayers=2, dunits=128,
                                    postnet_layers=2, postnet_chans=64, reduction_factor=reduction_factor,
                                    duration_predictor_chans=32, pitch_predictor_chans=32,
                                    energy_predictor_chans=32),
        collect_stats=True,
    )  # fmt: skip
    stats = VCTask.build_model(argparse.Namespace(**conf)).collect_feats(src, src_len, tgt, tgt_len)
    for name, key in (("normalize", "src_feats"), ("tgt_normalize", "tgt_feats"), ("pitch_normalize", "pitch"),
                      ("energy_normalize", "energy")):  # fmt: skip
        conf[name] = "global_mvn"
        conf[f"{name}_conf"] = dict(stats_file=write_stats(str(tmp_path / f"{key}.npz"), stats[key][0]))
    conf["collect_stats"] = False
    model = VCTask.build_model(argparse.Namespace(**conf))

    ns = int(reduced_source_lengths(stats["src_feats_lengths"], reduction_factor)[0])
    nt = int(reduced_target_lengths(stats["tgt_feats_lengths"], reduction_factor)[0])
    ds = uniform_durations(ns, nt)[None]
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        loss, stats, _ = model(src, src_len, tgt, tgt_len, ds, torch.tensor([ns]), utt_id=[UTT])
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optim.step()
        losses.append(float(stats["l1_loss"]))  # the mel loss: the duration and prosody terms cannot carry it
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    print(f"mel L1 {first:.3f} -> {last:.3f} ({first / last:.1f}x)")
    assert first / last >= 3.0
