"""Keeping padding out of convolutions that take no mask (espnet's Tacotron2 postnet).

A convolution over a padded batch mixes the padded frames into each utterance's last valid frames, so an
utterance's output would depend on the longest utterance of its batch, and training would see ends that
single-utterance inference never does. Zeroing the padding before the first layer is not enough once a layer
has run (its bias, batch norm and tanh make the padded frames non-zero again): every layer's input is masked.
"""

from typing import Optional

import torch
from espnet.nets.pytorch_backend.nets_utils import make_pad_mask


def masked_postnet(postnet: torch.nn.Module, before: torch.Tensor, lengths: Optional[torch.Tensor]) -> torch.Tensor:
    """``before`` plus espnet's ``Postnet`` residual, each conv layer seeing zeros beyond ``lengths``.

    Args:
        postnet: An espnet ``tacotron2.decoder.Postnet``.
        before: Mel before the postnet (B, T, odim).
        lengths: Valid frames (B,); None: no padding (inference), the plain postnet.

    Returns:
        After-postnet mel (B, T, odim); equal to the plain postnet on unpadded input.
    """
    xs = before.transpose(1, 2)
    valid = None if lengths is None else (~make_pad_mask(lengths, maxlen=xs.size(-1))).to(xs)[:, None]
    for layer in postnet.postnet:
        xs = layer(xs if valid is None else xs * valid)
    return before + xs.transpose(1, 2)
