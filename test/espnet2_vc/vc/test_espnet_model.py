"""The wrapper model: dumped features (stage 3) and waveforms are two ways to the same loss."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from espnet2_vc.tasks.vc import VCTask
from espnet2_vc.utils.checkpoint import load_weights
from espnet2_vc.vc.reduction import reduced_source_lengths, reduced_target_lengths

from ..tasks.test_vc import TINY_TTS, make_args


def speech(seconds: float, f0: float, seed: int) -> torch.Tensor:
    """A voiced-like test signal: a harmonic tone with a little noise."""
    t = torch.arange(int(seconds * 16000)) / 16000
    noise = 0.01 * torch.randn(len(t), generator=torch.Generator().manual_seed(seed))
    return 0.3 * torch.sin(2 * torch.pi * f0 * t) + 0.1 * torch.sin(4 * torch.pi * f0 * t) + noise


def durations_for(src_frames: torch.Tensor, tgt_frames: torch.Tensor, r: int) -> tuple:
    """Valid durations: ``T_src // r`` values summing to ``ceil(T_tgt / r)``, padded (B, N)."""
    rows = []
    for n, total in zip(reduced_source_lengths(src_frames, r).tolist(), reduced_target_lengths(tgt_frames, r).tolist()):
        d = torch.full((n,), total // n, dtype=torch.long)
        d[: total % n] += 1
        rows.append(d)
    return pad_sequence(rows, batch_first=True), torch.tensor([len(d) for d in rows])


def as_dumped(values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """What reading the npy files back gives: each utterance cut to its length, float32, padded with 0."""
    rows = [torch.from_numpy(np.asarray(v[:n].numpy(), dtype=np.float32)) for v, n in zip(values, lengths)]
    return pad_sequence(rows, batch_first=True)


def write_stats(path: Path, values: torch.Tensor, lengths: torch.Tensor) -> str:
    """A stats npz as espnet's collect_stats writes it (count, sum, sum_square over valid frames)."""
    frames = torch.cat([v[:n] for v, n in zip(values, lengths)]).double().numpy()
    np.savez(path, count=len(frames), sum=frames.sum(0), sum_square=(frames**2).sum(0))
    return str(path)


@pytest.mark.parametrize("r", [1, 2])
@pytest.mark.parametrize("use_source", [False, True])
def test_dumped_features_give_the_loss_of_waveforms(tmp_path: Path, r: int, use_source: bool) -> None:
    tts_conf = dict(TINY_TTS, reduction_factor=r, use_source_pitch=use_source, use_source_energy=use_source)
    src = pad_sequence([speech(0.6, 220.0, 0), speech(0.45, 200.0, 1)], batch_first=True)
    tgt = pad_sequence([speech(0.7, 110.0, 2), speech(0.5, 120.0, 3)], batch_first=True)
    src_lens, tgt_lens = torch.tensor([9600, 7200]), torch.tensor([11200, 8000])

    # Stage 3: the raw features and their stats, from a model built in collect_stats mode.
    collect = VCTask.build_model(make_args(tts_conf=tts_conf))
    feats = collect.collect_feats(src, src_lens, tgt, tgt_lens)
    expected = {"src_feats", "tgt_feats", "pitch", "energy"} | ({"src_pitch", "src_energy"} if use_source else set())
    assert {k for k in feats if not k.endswith("_lengths")} == expected
    stats = {name: write_stats(tmp_path / f"{name}.npz", feats[name], feats[f"{name}_lengths"])
             for name in ("src_feats", "tgt_feats", "pitch", "energy")}  # fmt: skip

    # Stage 5: the normalized model, from the stats.
    torch.manual_seed(0)
    args = make_args(
        tts_conf=tts_conf, collect_stats=False,
        normalize_conf=dict(stats_file=stats["src_feats"]), tgt_normalize_conf=dict(stats_file=stats["tgt_feats"]),
        pitch_normalize="global_mvn", pitch_normalize_conf=dict(stats_file=stats["pitch"]),
        energy_normalize="global_mvn", energy_normalize_conf=dict(stats_file=stats["energy"]),
    )  # fmt: skip
    model = VCTask.build_model(args).eval()
    durations, durations_lengths = durations_for(feats["src_feats_lengths"], feats["tgt_feats_lengths"], r)
    with torch.no_grad():
        loss_wav, stats_wav, _ = model(src_speech=src, src_speech_lengths=src_lens, tgt_speech=tgt,
                                       tgt_speech_lengths=tgt_lens, durations=durations,
                                       durations_lengths=durations_lengths)  # fmt: skip
        dumped = {}
        for name in expected:
            lengths = feats[f"{name}_lengths"]
            dumped.update({name: as_dumped(feats[name], lengths), f"{name}_lengths": lengths})
        # Nothing may be recomputed from audio when the features are given.
        model.feats_extract.forward = model.pitch_extract.forward = model.energy_extract.forward = None
        loss_dump, stats_dump, _ = model(durations=durations, durations_lengths=durations_lengths, **dumped)
    assert torch.isfinite(loss_wav)
    assert set(stats_wav) == set(stats_dump)
    for key in stats_wav:
        assert torch.allclose(stats_wav[key], stats_dump[key], rtol=1e-5, atol=1e-6), key


def test_a_side_without_speech_or_features_is_refused() -> None:
    model = VCTask.build_model(make_args())
    with pytest.raises(ValueError, match="give 'src_speech' .* or 'src_feats'"):
        model(tgt_speech=torch.zeros(1, 8000), tgt_speech_lengths=torch.tensor([8000]), src_feats=None,
              durations=None)  # fmt: skip


TINY_VTN = dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, eprenet_units=8, dprenet_units=8,
                postnet_layers=0)  # fmt: skip


def test_a_network_gets_only_what_it_declares() -> None:
    """VTN declares no durations or prosody: the wrapper trains it without them even when pitch is extracted."""
    model = VCTask.build_model(make_args(tts="vtn", tts_conf=dict(TINY_VTN)))
    src, tgt = speech(0.4, 220.0, 0)[None], speech(0.5, 110.0, 1)[None]
    lens = dict(src_speech_lengths=torch.tensor([src.size(1)]), tgt_speech_lengths=torch.tensor([tgt.size(1)]))
    loss, stats, _ = model(src_speech=src, tgt_speech=tgt, **lens)  # no durations needed
    assert torch.isfinite(loss).all() and "focus_rate" in stats
    att, ns, nt = model.alignments(src_speech=src, tgt_speech=tgt, **lens)
    assert att.shape[-2:] == (int(nt[0]), int(ns[0]))
    out = model.inference(src[0], tgt_speech=tgt[0], use_teacher_forcing=True)  # teacher forcing: no durations
    assert out["feat_gen"].size(0) == 1 + tgt.size(1) // 128 and int(out["duration"].sum()) == int(nt[0])


def test_a_network_that_trains_on_durations_refuses_a_batch_without_them() -> None:
    model = VCTask.build_model(make_args())
    src, tgt = speech(0.4, 220.0, 0)[None], speech(0.5, 110.0, 1)[None]
    with pytest.raises(ValueError, match="NARS2S trains on durations"):
        model(src_speech=src, src_speech_lengths=torch.tensor([src.size(1)]), tgt_speech=tgt,
              tgt_speech_lengths=torch.tensor([tgt.size(1)]))  # fmt: skip
    with pytest.raises(TypeError, match="no source attention"):
        model.alignments(src_speech=src, src_speech_lengths=torch.tensor([src.size(1)]), tgt_speech=tgt,
                         tgt_speech_lengths=torch.tensor([tgt.size(1)]))  # fmt: skip


def test_a_checkpoint_with_the_old_source_normalization_key_loads_strictly(tmp_path: Path) -> None:
    """Checkpoints written when the source normalization was the attribute ``normalize`` still load."""
    x = np.random.default_rng(0).normal(-2.0, 1.5, size=(40, 20))
    stats = tmp_path / "src.npz"
    np.savez(stats, count=40, sum=x.sum(0), sum_square=(x**2).sum(0))
    args = dict(tts_conf=TINY_TTS, collect_stats=False, normalize_conf=dict(stats_file=str(stats)),
                tgt_normalize_conf=dict(stats_file=str(stats)))  # fmt: skip
    torch.manual_seed(0)
    state = VCTask.build_model(make_args(**args)).state_dict()
    old = {(k.replace("src_normalize.", "normalize.", 1) if k.startswith("src_normalize.") else k): v
           for k, v in state.items()}  # fmt: skip
    assert "normalize.mean" in old and not any(k.startswith("src_normalize.") for k in old)
    torch.manual_seed(1)
    model = VCTask.build_model(make_args(**args))
    model.src_normalize.mean.fill_(0.0)
    torch.save(old, tmp_path / "old.pth")
    load_weights(model, tmp_path / "old.pth")  # the loader of build_model_from_file and packed models
    torch.testing.assert_close(model.src_normalize.mean, state["src_normalize.mean"])
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[key])


def _normalized_model_and_dumped_batch(tmp_path: Path, **extra) -> tuple:
    """A tiny normalized model (stats of its own batch) and that batch as stage 3 dumps it, with durations."""
    src = pad_sequence([speech(0.6, 220.0, 0), speech(0.45, 200.0, 1)], batch_first=True)
    tgt = pad_sequence([speech(0.7, 110.0, 2), speech(0.5, 120.0, 3)], batch_first=True)
    feats = VCTask.build_model(make_args()).collect_feats(src, torch.tensor([9600, 7200]), tgt,
                                                          torch.tensor([11200, 8000]))  # fmt: skip
    stats = {name: write_stats(tmp_path / f"{name}.npz", feats[name], feats[f"{name}_lengths"])
             for name in ("src_feats", "tgt_feats", "pitch", "energy")}  # fmt: skip
    args = make_args(
        collect_stats=False,
        normalize_conf=dict(stats_file=stats["src_feats"]), tgt_normalize_conf=dict(stats_file=stats["tgt_feats"]),
        pitch_normalize="global_mvn", pitch_normalize_conf=dict(stats_file=stats["pitch"]),
        energy_normalize="global_mvn", energy_normalize_conf=dict(stats_file=stats["energy"]), **extra,
    )  # fmt: skip
    batch = {k: v for k, v in feats.items() if k.replace("_lengths", "") in stats}
    r = args.tts_conf.get("reduction_factor", 1)
    durations, durations_lengths = durations_for(feats["src_feats_lengths"], feats["tgt_feats_lengths"], r)
    return VCTask.build_model(args), dict(batch, durations=durations, durations_lengths=durations_lengths)


def test_forward_leaves_the_callers_dumped_features_as_they_were(tmp_path: Path) -> None:
    """espnet's GlobalMVN normalizes in place: the wrapper must normalize a copy of the caller's tensors."""
    model, batch = _normalized_model_and_dumped_batch(tmp_path)
    model.eval()
    before = {k: v.clone() for k, v in batch.items()}
    with torch.no_grad():
        first = model(**batch)[0]
        second = model(**batch)[0]
    for key, value in before.items():
        assert torch.equal(batch[key], value), key
    assert torch.equal(first, second)


def _network_inputs(model, batch) -> torch.Tensor:
    """The normalized source features the network gets from one forward of ``batch``."""
    seen = {}
    forward = model.tts.forward
    model.tts.forward = lambda **kw: seen.setdefault("src", kw["src_feats"]) is not None and forward(**kw)
    model(**{k: v.clone() for k, v in batch.items()})
    model.tts.forward = forward
    return seen["src"]


def test_specaug_masks_the_source_features_in_training_only(tmp_path: Path) -> None:
    conf = dict(apply_time_warp=False, apply_freq_mask=True, freq_mask_width_range=[4, 5], num_freq_mask=1,
                apply_time_mask=False)  # fmt: skip
    model, batch = _normalized_model_and_dumped_batch(tmp_path, specaug="specaug", specaug_conf=conf)
    valid = torch.arange(batch["src_feats"].size(1))[None] < batch["src_feats_lengths"][:, None]

    def masked_bins(x: torch.Tensor) -> torch.Tensor:
        """Per utterance, how many mel bins are zero on every valid frame."""
        return torch.stack([(x[i][valid[i]] == 0).all(0).sum() for i in range(x.size(0))])

    torch.manual_seed(0)
    assert masked_bins(_network_inputs(model.train(), batch)).tolist() == [4, 4]
    with torch.no_grad():
        assert masked_bins(_network_inputs(model.eval(), batch)).tolist() == [0, 0]


def test_a_config_saved_before_specaug_existed_builds_without_it() -> None:
    args = make_args()
    del args.specaug, args.specaug_conf
    assert VCTask.build_model(args).specaug is None
