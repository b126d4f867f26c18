"""The masked layers: padding neither leaks into valid frames nor into batch-norm statistics."""

import pytest
import torch

from espnet2_vc.vc.masking import MaskedBatchNorm1d, MaskedConv1d, mask_padding, valid_frames


def layers_without_valid_frames(model: torch.nn.Module, batch: dict) -> list:
    """Run a training forward of ``model`` on ``batch``; the masked layers that ran without valid frames, and
    the wide convolutions :func:`mask_padding` did not swap (both should be empty)."""
    model.train()
    layers = [m for m in model.modules() if isinstance(m, (MaskedConv1d, MaskedBatchNorm1d))]
    seen = {}

    def record(module: torch.nn.Module, args: tuple) -> None:
        seen.setdefault(id(module), module.valid)

    hooks = [m.register_forward_pre_hook(record) for m in layers]
    try:
        model(**batch)
    finally:
        for hook in hooks:
            hook.remove()
    unswapped = [m for m in model.modules() if type(m) is torch.nn.Conv1d and m.kernel_size[0] > 1]
    return [type(m).__name__ for m in layers if seen.get(id(m), "not run") is None] + unswapped


def padded(fill: float) -> tuple:
    """Two utterances of 7 and 4 frames, 3 channels, padded with ``fill``; their valid-frame mask (2, 7)."""
    torch.manual_seed(0)
    x = torch.randn(2, 3, 7)
    x[1, :, 4:] = fill
    valid = torch.tensor([[True] * 7, [True] * 4 + [False] * 3])
    return x, valid


def test_batch_norm_counts_only_valid_frames_running_statistics_included():
    x, valid = padded(fill=50.0)
    norm = mask_padding(torch.nn.Sequential(torch.nn.BatchNorm1d(3)))[0].train()
    reference = torch.nn.BatchNorm1d(3).train()
    with valid_frames(norm, valid):
        ys = norm(x)
    # The valid frames alone, as one unpadded "batch": the statistics plain batch norm computes on them.
    frames = torch.cat([x[0], x[1, :, :4]], dim=1).unsqueeze(0)
    expected = reference(frames)[0]
    torch.testing.assert_close(torch.cat([ys[0], ys[1, :, :4]], dim=1), expected)
    torch.testing.assert_close(norm.running_mean, reference.running_mean)
    torch.testing.assert_close(norm.running_var, reference.running_var)
    assert int(norm.num_batches_tracked) == 1


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_without_padding_is_torchs(momentum):
    x, _ = padded(fill=0.0)
    masked, plain = MaskedBatchNorm1d(3, momentum=momentum), torch.nn.BatchNorm1d(3, momentum=momentum)
    with valid_frames(masked, torch.ones(2, 7, dtype=torch.bool)):
        for _ in range(2):
            torch.testing.assert_close(masked(x), plain(x))
    torch.testing.assert_close(masked.running_var, plain.running_var)
    masked.eval(), plain.eval()
    torch.testing.assert_close(masked(x), plain(x))


def test_convolution_sees_zeros_where_the_batch_is_padded():
    conv = mask_padding(torch.nn.Sequential(torch.nn.Conv1d(3, 2, 3, padding=1)))
    assert isinstance(conv[0], MaskedConv1d)
    outs = []
    for fill in (0.0, 50.0):
        x, valid = padded(fill)
        with valid_frames(conv, valid):
            outs.append(conv(x)[1, :, :4])
    alone = conv(x[1:, :, :4])[0]
    torch.testing.assert_close(outs[0], alone)
    torch.testing.assert_close(outs[1], alone)


def test_swapping_keeps_parameter_names_and_values_and_pointwise_convolutions():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv1d(3, 4, 5), torch.nn.BatchNorm1d(4), torch.nn.Conv1d(4, 4, 1))
    net[1].running_mean.fill_(0.5)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    mask_padding(net)
    assert [type(m) for m in net] == [MaskedConv1d, MaskedBatchNorm1d, torch.nn.Conv1d]
    after = net.state_dict()
    assert after.keys() == before.keys()
    for key, value in before.items():
        torch.testing.assert_close(after[key], value)


def test_a_mask_that_does_not_fit_is_an_error_and_the_block_always_resets():
    conv = mask_padding(torch.nn.Sequential(torch.nn.Conv1d(3, 2, 3, padding=1)))
    with pytest.raises(ValueError, match="do not fit"):
        with valid_frames(conv, torch.ones(2, 5, dtype=torch.bool)):
            conv(torch.randn(2, 3, 7))
    assert conv[0].valid is None
