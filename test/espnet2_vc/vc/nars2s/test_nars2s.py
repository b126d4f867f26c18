from typing import Any, Dict, Tuple

import pytest
import torch

from espnet2_vc.vc.nars2s.loss import NARS2SLoss
from espnet2_vc.vc.nars2s.nars2s import NARS2S

IDIM = 6


def make_nars2s_args(**kwargs: Any) -> Dict[str, Any]:
    """Tiny NARS2S settings; dropouts 0 so that outputs are deterministic."""
    args = dict(
        idim=IDIM, odim=IDIM, adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8,
        postnet_layers=1, postnet_chans=4, postnet_filts=3, conformer_enc_kernel_size=3, conformer_dec_kernel_size=3,
        duration_predictor_chans=4, pitch_predictor_chans=4, energy_predictor_chans=4,
        pitch_embed_kernel_size=3, energy_embed_kernel_size=3,
        transformer_enc_dropout_rate=0.0, transformer_enc_positional_dropout_rate=0.0,
        transformer_enc_attn_dropout_rate=0.0, transformer_dec_dropout_rate=0.0,
        transformer_dec_positional_dropout_rate=0.0, transformer_dec_attn_dropout_rate=0.0,
        postnet_dropout_rate=0.0, duration_predictor_dropout_rate=0.0, pitch_predictor_dropout=0.0,
        pitch_embed_dropout=0.0, energy_predictor_dropout=0.0, energy_embed_dropout=0.0,
    )  # fmt: skip
    args.update(kwargs)
    return args


def uniform_durations(ns: int, nt: int) -> torch.Tensor:
    d = torch.full((ns,), nt // ns, dtype=torch.long)
    d[: nt - int(d.sum())] += 1
    return d


def make_batch(r: int, spks: bool = False, src_prosody: bool = False) -> Dict[str, torch.Tensor]:
    torch.manual_seed(0)
    ilens, olens = torch.tensor([13, 9]), torch.tensor([17, 10])
    ns, nt = ilens // r, (olens + r - 1) // r
    ds = torch.zeros(2, int(ns.max()), dtype=torch.long)
    for b in range(2):
        ds[b, : ns[b]] = uniform_durations(int(ns[b]), int(nt[b]))
    batch = dict(
        src_feats=torch.randn(2, 13, IDIM), src_feats_lengths=ilens, tgt_feats=torch.randn(2, 17, IDIM),
        tgt_feats_lengths=olens, durations=ds, durations_lengths=ns, pitch=torch.randn(2, 17, 1),
        energy=torch.randn(2, 17, 1),
    )  # fmt: skip
    if spks:
        batch.update(src_sids=torch.tensor([[0], [2]]), tgt_sids=torch.tensor([[1], [0]]))
    if src_prosody:
        batch.update(src_pitch=torch.randn(2, 13, 1), src_energy=torch.randn(2, 13, 1))
    return batch


@pytest.mark.parametrize("reduction_factor", [1, 2, 3])
@pytest.mark.parametrize("encoder_type, decoder_type", [("conformer", "conformer"), ("transformer", "transformer"),
                                                        ("transformer", "conformer")])  # fmt: skip
@pytest.mark.parametrize("spks", [None, 3])
@pytest.mark.parametrize("use_source", [False, True])
@pytest.mark.parametrize("postnet_layers", [0, 1])
def test_forward_backward_inference(reduction_factor, encoder_type, decoder_type, spks, use_source, postnet_layers):
    model = NARS2S(**make_nars2s_args(
        reduction_factor=reduction_factor, encoder_type=encoder_type, decoder_type=decoder_type, spks=spks,
        use_source_pitch=use_source, use_source_energy=use_source, postnet_layers=postnet_layers,
    ))  # fmt: skip
    batch = make_batch(reduction_factor, spks is not None, use_source)
    loss, stats, weight = model(**batch)
    loss.backward()
    assert torch.isfinite(loss) and set(stats) >= {"l1_loss", "duration_loss", "pitch_loss", "energy_loss"}
    assert int(weight) == 2

    model.eval()
    extra = {k: batch[k][0] for k in ("src_sids", "tgt_sids", "src_pitch", "src_energy") if k in batch}
    out = model.inference(batch["src_feats"][0], **extra)
    assert out["feat_gen"].shape == (int(out["duration"].sum()) * reduction_factor, IDIM)
    assert out["duration"].shape == (13 // reduction_factor,)
    assert out["pitch"].shape == (13 // reduction_factor, 1)
    # Forced durations: sum × r frames, and exactly the target length when it is given.
    ds = batch["durations"][0]
    forced = model.inference(batch["src_feats"][0], durations=ds, **extra)
    assert forced["feat_gen"].size(0) == int(ds.sum()) * reduction_factor
    trimmed = model.inference(
        batch["src_feats"][0], durations=ds, pitch=batch["pitch"][0], tgt_feats=batch["tgt_feats"][0, :17], **extra
    )
    assert trimmed["feat_gen"].size(0) == 17


@pytest.mark.parametrize("use_pitch, use_energy", [(False, False), (True, False), (False, True)])
def test_without_prosody(use_pitch, use_energy):
    model = NARS2S(**make_nars2s_args(use_pitch=use_pitch, use_energy=use_energy))
    batch = make_batch(1)
    if not use_pitch:
        batch.pop("pitch")
    if not use_energy:
        batch.pop("energy")
    _, stats, _ = model(**batch)
    assert ("pitch_loss" in stats) == use_pitch and ("energy_loss" in stats) == use_energy
    model.eval()
    assert ("pitch" in model.inference(batch["src_feats"][0])) == use_pitch


def test_missing_pitch_and_durations_are_errors():
    model = NARS2S(**make_nars2s_args())
    batch = make_batch(1)
    with pytest.raises(ValueError, match="pitch_extract"):
        model(**{k: v for k, v in batch.items() if k != "pitch"})
    with pytest.raises(ValueError, match="durations"):
        model(**{k: v for k, v in batch.items() if k not in ("durations", "durations_lengths")})
    with pytest.raises(ValueError, match="src_sids"):
        NARS2S(**make_nars2s_args(spks=2))(**batch)


def _encoder_grad_from(model: NARS2S, batch: Dict[str, torch.Tensor], loss_name: str) -> float:
    class OneTerm(torch.nn.Module):
        def __init__(self, full: torch.nn.Module):
            super().__init__()
            self.full = full

        def forward(self, *args: Any) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
            losses, parts = self.full(*args)
            return {loss_name: losses[loss_name]}, parts

    model.criterion = OneTerm(model.criterion)  # keep one loss term only
    loss, _, _ = model(**batch)
    loss.backward()
    return sum(float(p.grad.abs().sum()) for p in model.encoder.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", ["duration", "pitch", "energy"])
@pytest.mark.parametrize("stop", [False, True])
def test_stop_gradient(name, stop):
    torch.manual_seed(0)
    model = NARS2S(**make_nars2s_args(**{f"stop_gradient_from_{name}_predictor": stop}))
    grad = _encoder_grad_from(model, make_batch(1), f"{name}_loss")
    assert (grad == 0.0) == stop


@pytest.mark.parametrize("name", ["pitch", "energy"])
@pytest.mark.parametrize("teacher_forcing", [False, True])
def test_teacher_forcing(name, teacher_forcing):
    """With teacher forcing the ground-truth value reaches the decoder; without it only the prediction does."""
    torch.manual_seed(0)
    model = NARS2S(**make_nars2s_args(**{f"use_teacher_forcing_{name}": teacher_forcing}))
    batch = make_batch(1)
    l1 = model(**batch)[1]["l1_loss"]
    batch[name] = batch[name] + 3.0
    assert torch.isclose(model(**batch)[1]["l1_loss"], l1).item() != teacher_forcing


@pytest.mark.parametrize("validate_like_inference", [False, True])
def test_validation_like_inference(validate_like_inference):
    torch.manual_seed(0)
    model = NARS2S(**make_nars2s_args(validate_like_inference=validate_like_inference)).eval()
    batch = make_batch(1)
    l1 = model(**batch)[1]["l1_loss"]
    batch["pitch"] = batch["pitch"] + 3.0
    assert torch.isclose(model(**batch)[1]["l1_loss"], l1).item() == validate_like_inference


@pytest.mark.parametrize("reduction_factor", [2, 3])
def test_loss_ignores_frames_past_target_length(reduction_factor):
    torch.manual_seed(0)
    model = NARS2S(**make_nars2s_args(reduction_factor=reduction_factor)).eval()
    batch = make_batch(reduction_factor)
    l1 = model(**batch)[1]["l1_loss"]
    batch["tgt_feats"][1, 10:] = 100.0  # beyond tgt_feats_lengths[1] == 10
    assert torch.isclose(model(**batch)[1]["l1_loss"], l1)


def test_bad_options():
    with pytest.raises(ValueError, match="encoder_type"):
        NARS2S(**make_nars2s_args(encoder_type="rnn"))
    with pytest.raises(ValueError, match="reduction_factor"):
        NARS2S(**make_nars2s_args(reduction_factor=0))


def test_the_mel_loss_is_reported_before_and_after_the_postnet() -> None:
    """``l1_loss`` (the term trained on) is the sum of the two parts that tensorboard shows apart."""
    torch.manual_seed(0)
    before, after, ys = torch.randn(2, 5, 3), torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    olens, slens = torch.tensor([5, 3]), torch.tensor([2, 2])
    ds, d_outs = torch.tensor([[3, 2], [2, 1]]), torch.zeros(2, 2)
    losses, parts = NARS2SLoss()(after, before, ys, olens, d_outs, ds, slens, None, None, None, None)
    valid = torch.tensor([[1.0] * 5, [1.0] * 3 + [0.0] * 2])[..., None].expand_as(ys)
    for name, outs in (("before_postnet_l1", before), ("after_postnet_l1", after)):
        assert torch.allclose(parts[name], ((outs - ys).abs() * valid).sum() / valid.sum())
    assert torch.allclose(losses["l1_loss"], parts["before_postnet_l1"] + parts["after_postnet_l1"])
    assert set(losses) == {"l1_loss", "duration_loss"}  # the parts are reported, not added again
