"""NARS2S properties the shape tests do not see: padding, teacher-forced inference, source prosody."""

import pytest
import torch

from espnet2_vc.vc.masking import MaskedConv1d
from espnet2_vc.vc.nars2s.nars2s import NARS2S

from ..test_masking import layers_without_valid_frames
from .test_nars2s import make_batch, make_nars2s_args


def outputs_of_forward(model: NARS2S, batch: dict) -> torch.Tensor:
    """The after-postnet mel (B, N_tgt · r, odim) the training forward computes its loss on."""
    seen = {}
    hook = model.criterion.register_forward_hook(lambda module, inputs, output: seen.update(after=inputs[0]))
    model(**batch)
    hook.remove()
    return seen["after"]


def tiny(**kw) -> NARS2S:
    torch.manual_seed(0)
    return NARS2S(**make_nars2s_args(validate_like_inference=False, **kw)).eval()


def item(batch: dict, b: int, src_len: int, tgt_len: int, r: int) -> dict:
    """Utterance ``b`` of a batch, cut to its own lengths (a batch of one, no padding)."""
    out = {}
    for k, v in batch.items():
        if k in ("src_feats", "src_pitch", "src_energy"):
            out[k] = v[b : b + 1, :src_len]
        elif k in ("tgt_feats", "pitch", "energy"):
            out[k] = v[b : b + 1, :tgt_len]
        elif k == "durations":
            out[k] = v[b : b + 1, : src_len // r]
        else:
            out[k] = v[b : b + 1]
    return out


def test_padding_does_not_change_an_utterances_output():
    r = 2
    model = tiny(reduction_factor=r, use_source_pitch=True, use_source_energy=True, postnet_layers=3)
    batch = make_batch(r, src_prosody=True)
    with torch.no_grad():
        both = outputs_of_forward(model, batch)
        alone = outputs_of_forward(model, item(batch, 1, 9, 10, r))
    torch.testing.assert_close(both[1, :10], alone[0, :10], atol=1e-5, rtol=1e-4)


def test_teacher_forced_inference_equals_the_training_forward():
    r = 2
    model = tiny(reduction_factor=r)
    batch = item(make_batch(r), 0, 13, 17, r)
    with torch.no_grad():
        forward = outputs_of_forward(model, batch)
        out = model.inference(batch["src_feats"][0], tgt_feats=batch["tgt_feats"][0], durations=batch["durations"][0],
                              pitch=batch["pitch"][0], energy=batch["energy"][0])  # fmt: skip
    assert out["feat_gen"].shape == (17, batch["tgt_feats"].size(-1))
    torch.testing.assert_close(out["feat_gen"], forward[0, :17])


def test_the_source_prosody_changes_the_conversion_only_when_used():
    batch = make_batch(2, src_prosody=True)
    src = batch["src_feats"][0]
    for use_source in (True, False):
        model = tiny(reduction_factor=2, use_source_pitch=use_source, use_source_energy=use_source)
        extra = dict(src_pitch=batch["src_pitch"][0], src_energy=batch["src_energy"][0]) if use_source else {}
        with torch.no_grad():
            a = model.inference(src, **extra)["pitch"]
            flipped = {k: -v for k, v in extra.items()}
            b = model.inference(src, **flipped)["pitch"]
        assert (not torch.allclose(a, b)) == use_source


@pytest.mark.parametrize("encoder_type", ["conformer", "transformer"])
def test_every_frame_mixing_layer_knows_the_valid_frames_in_training(encoder_type):
    """So padding reaches neither an utterance's frames nor batch norm's running statistics."""
    model = tiny(reduction_factor=2, use_source_pitch=True, use_source_energy=True, postnet_layers=3,
                 encoder_type=encoder_type, positionwise_layer_type="conv1d", positionwise_conv_kernel_size=3)
    assert sum(isinstance(m, MaskedConv1d) for m in model.modules()) >= 10
    assert not layers_without_valid_frames(model, make_batch(2, src_prosody=True))
