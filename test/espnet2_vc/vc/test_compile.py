"""The GPU speed switches, checked on a CPU: ``--compile_conf`` (torch.compile) and bfloat16 autocast (espnet's
``--use_amp``) give the float32 model's loss and gradients within tolerance, and leave checkpoints as they are."""

import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from espnet2_vc.tasks.vc_model import build_vc_model
from espnet2_vc.vc.compile import CompileSettings

from ..tasks.test_vc import make_args
from .test_espnet_model import durations_for, speech


def batch_and_model(**args):
    torch.manual_seed(0)
    model = build_vc_model(make_args(**args)).eval()  # eval: no dropout, so two runs are comparable
    src = pad_sequence([speech(0.6, 220.0, 0), speech(0.45, 200.0, 1)], batch_first=True)
    tgt = pad_sequence([speech(0.7, 110.0, 2), speech(0.5, 120.0, 3)], batch_first=True)
    batch = dict(src_speech=src, src_speech_lengths=torch.tensor([9600, 7200]), tgt_speech=tgt,
                 tgt_speech_lengths=torch.tensor([11200, 8000]))  # fmt: skip
    feats = model.collect_feats(**batch)
    durations, lengths = durations_for(feats["src_feats_lengths"], feats["tgt_feats_lengths"], 1)
    return model, dict(batch, durations=durations, durations_lengths=lengths)


def loss_and_grads(model, batch):
    model.zero_grad()
    loss = model(**batch)[0]
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_compiled_network_gives_the_same_loss_gradients_and_checkpoint_keys():
    plain, batch = batch_and_model()
    compiled, _ = batch_and_model(compile_conf=dict(enable=True, backend="aot_eager"))
    assert compiled.state_dict().keys() == plain.state_dict().keys()  # in place: no "_orig_mod." prefix
    compiled.load_state_dict(plain.state_dict(), strict=True)
    loss, grads = loss_and_grads(plain, batch)
    loss_c, grads_c = loss_and_grads(compiled, batch)
    assert torch.allclose(loss_c, loss, rtol=1e-5, atol=1e-6)
    assert grads_c.keys() == grads.keys()
    for name, grad in grads.items():
        assert torch.allclose(grads_c[name], grad, rtol=1e-4, atol=1e-6), name


def test_bfloat16_autocast_gives_the_float32_loss_within_tolerance():
    """espnet's --use_amp runs the network under autocast (bfloat16 where the GPU has it): the CPU's bfloat16
    autocast stands in for it here. The features stay float32 (the wrapper switches autocast off for them)."""
    model, batch = batch_and_model()
    loss, grads = loss_and_grads(model, batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss_bf16, grads_bf16 = loss_and_grads(model, batch)
    assert loss_bf16.dtype == torch.float32 and torch.isfinite(loss_bf16)
    assert abs(float(loss_bf16) - float(loss)) <= 0.02 * abs(float(loss))
    flat = torch.cat([g.flatten() for g in grads.values()])
    flat_bf16 = torch.cat([grads_bf16[n].flatten() for n in grads])
    assert torch.nn.functional.cosine_similarity(flat, flat_bf16, dim=0) > 0.99


def test_compile_conf_is_saved_complete_and_checked():
    args = make_args(compile_conf=dict(backend="aot_eager"))
    build_vc_model(args)
    assert args.compile_conf == dict(enable=False, backend="aot_eager", mode=None, dynamic=None)
    with pytest.raises(ValueError, match=r"--compile_conf: unknown key\(s\) \['enabled'\]; accepted: enable"):
        CompileSettings.from_conf(dict(enabled=True))
