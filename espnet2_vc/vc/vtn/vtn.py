"""VTN: the autoregressive Transformer VC network (Huang et al., "Voice Transformer Network", 2020).

Source mel → encoder prenet → Transformer encoder; the decoder predicts the target mel ``r`` frames a step from
the previous step's last frame (decoder prenet), attends to the encoder, and predicts a stop probability per
frame; a Tacotron2 postnet refines the mel. A guided-attention loss keeps the encoder-decoder attention near
the diagonal. NARS2S uses it as its duration teacher (``vc.sh --duration_method teacher``): see
:mod:`espnet2_vc.durations.attention` for how its attention becomes durations. It is also a converter of
its own (``vc_inference``), decoding until the stop token.
"""

from typing import Dict, List, Optional, Tuple

import torch
from espnet.nets.pytorch_backend.e2e_tts_transformer import GuidedMultiHeadAttentionLoss, TransformerLoss
from espnet.nets.pytorch_backend.nets_utils import make_pad_mask
from espnet.nets.pytorch_backend.tacotron2.decoder import Postnet
from espnet.nets.pytorch_backend.tacotron2.decoder import Prenet as DecoderPrenet
from espnet.nets.pytorch_backend.transformer.decoder import Decoder
from espnet.nets.pytorch_backend.transformer.embedding import PositionalEncoding, ScaledPositionalEncoding
from espnet.nets.pytorch_backend.transformer.encoder import Encoder
from espnet.nets.pytorch_backend.transformer.mask import subsequent_mask
from espnet2.torch_utils.initialize import initialize
from typeguard import typechecked

from espnet2_vc.durations.attention import attention_durations, best_head
from espnet2_vc.vc.abs_vc import AbsAttentionVC, loss_outputs
from espnet2_vc.vc.masking import mask_padding, valid_frames
from espnet2_vc.vc.nars2s.blocks import bounded_layer_norms
from espnet2_vc.vc.reduction import reduced_source_lengths, reduced_target_lengths, stack_frames


def _valid(lengths: torch.Tensor, maxlen: int) -> torch.Tensor:
    """(B, maxlen) True on the frames inside ``lengths``."""
    return ~make_pad_mask(lengths, maxlen=maxlen).to(lengths.device)


class VTN(AbsAttentionVC):
    """Transformer encoder-decoder with attention, stop token and guided-attention loss."""

    @typechecked
    def __init__(
        self,
        idim: int,
        odim: int,
        adim: int = 256,
        aheads: int = 4,
        elayers: int = 4,
        eunits: int = 1024,
        dlayers: int = 4,
        dunits: int = 1024,
        reduction_factor: int = 2,
        eprenet_units: int = 256,
        eprenet_dropout_rate: float = 0.2,
        dprenet_layers: int = 2,
        dprenet_units: int = 256,
        dprenet_dropout_rate: float = 0.5,
        postnet_layers: int = 5,
        postnet_chans: int = 256,
        postnet_filts: int = 5,
        postnet_dropout_rate: float = 0.5,
        use_batch_norm: bool = True,
        use_scaled_pos_enc: bool = True,
        encoder_normalize_before: bool = True,
        decoder_normalize_before: bool = True,
        transformer_enc_dropout_rate: float = 0.1,
        transformer_enc_positional_dropout_rate: float = 0.1,
        transformer_enc_attn_dropout_rate: float = 0.1,
        transformer_dec_dropout_rate: float = 0.1,
        transformer_dec_positional_dropout_rate: float = 0.1,
        transformer_dec_attn_dropout_rate: float = 0.1,
        transformer_enc_dec_attn_dropout_rate: float = 0.1,
        bce_pos_weight: float = 5.0,
        use_guided_attn_loss: bool = True,
        num_layers_applied_guided_attn: int = 2,
        num_heads_applied_guided_attn: int = 2,
        guided_attn_loss_sigma: float = 0.4,
        guided_attn_loss_lambda: float = 10.0,
        spks: Optional[int] = None,
        init_type: str = "xavier_uniform",
    ):
        """Initialize VTN.

        Args:
            idim: Source feature dimension (mel bins).
            odim: Target feature dimension (mel bins).
            adim / aheads: Attention dimension / heads.
            elayers / eunits: Encoder blocks / feed-forward units.
            dlayers / dunits: Decoder blocks / feed-forward units.
            reduction_factor: Frames per step on both sides: sources are stacked by ``r`` (tail dropped), the
                decoder emits ``r`` frames a step; the same contract as NARS2S, so its attention gives NARS2S
                durations directly (doc/data.md).
            eprenet_units / eprenet_dropout_rate: Encoder prenet (two linear layers) on the stacked source.
            dprenet_layers / dprenet_units / dprenet_dropout_rate: Tacotron2 decoder prenet (its dropout is on
                at inference too, as in Tacotron2).
            postnet_*: Tacotron2 postnet (0 layers disables it); use_batch_norm: in the postnet.
            use_scaled_pos_enc: Scaled positional encoding.
            encoder_normalize_before / decoder_normalize_before: Pre-norm blocks.
            transformer_*_rate: Dropouts of the blocks and attentions.
            bce_pos_weight: Weight of the positive (stop) frame in the stop-token loss.
            use_guided_attn_loss: Guided-attention loss on the encoder-decoder attention.
            num_layers_applied_guided_attn / num_heads_applied_guided_attn: Last layers / first heads it covers.
            guided_attn_loss_sigma / guided_attn_loss_lambda: Its width and weight.
            spks: Number of speakers (source and target speaker embeddings); None: one pair.
            init_type: Parameter initialization (espnet ``initialize``), ``pytorch`` for torch defaults.
        """
        super().__init__()
        if reduction_factor < 1:
            raise ValueError(f"reduction_factor must be >= 1: {reduction_factor}")
        self.idim, self.odim, self._r = idim, odim, reduction_factor
        pos_enc = ScaledPositionalEncoding if use_scaled_pos_enc else PositionalEncoding
        eprenet = torch.nn.Sequential(
            torch.nn.Linear(idim * reduction_factor, eprenet_units), torch.nn.ReLU(),
            torch.nn.Dropout(eprenet_dropout_rate), torch.nn.Linear(eprenet_units, adim),
        )  # fmt: skip
        self.encoder = bounded_layer_norms(Encoder(
            idim=idim, attention_dim=adim, attention_heads=aheads, linear_units=eunits, num_blocks=elayers,
            input_layer=eprenet, dropout_rate=transformer_enc_dropout_rate,
            positional_dropout_rate=transformer_enc_positional_dropout_rate,
            attention_dropout_rate=transformer_enc_attn_dropout_rate, pos_enc_class=pos_enc,
            normalize_before=encoder_normalize_before,
        ))  # fmt: skip
        self._init_speakers(spks, adim)
        dprenet = torch.nn.Sequential(
            DecoderPrenet(idim=odim, n_layers=dprenet_layers, n_units=dprenet_units, dropout_rate=dprenet_dropout_rate),
            torch.nn.Linear(dprenet_units, adim),
        )  # fmt: skip
        self.decoder = bounded_layer_norms(Decoder(
            odim=odim, attention_dim=adim, attention_heads=aheads, linear_units=dunits, num_blocks=dlayers,
            dropout_rate=transformer_dec_dropout_rate, positional_dropout_rate=transformer_dec_positional_dropout_rate,
            self_attention_dropout_rate=transformer_dec_attn_dropout_rate,
            src_attention_dropout_rate=transformer_enc_dec_attn_dropout_rate, input_layer=dprenet,
            use_output_layer=False, pos_enc_class=pos_enc, normalize_before=decoder_normalize_before,
        ))  # fmt: skip
        self.feat_out = torch.nn.Linear(adim, odim * reduction_factor)
        self.prob_out = torch.nn.Linear(adim, reduction_factor)
        self.postnet = (
            Postnet(idim=idim, odim=odim, n_layers=postnet_layers, n_chans=postnet_chans, n_filts=postnet_filts,
                    use_batch_norm=use_batch_norm, dropout_rate=postnet_dropout_rate)
            if postnet_layers > 0 else None
        )  # fmt: skip
        self.criterion = TransformerLoss(use_masking=True, bce_pos_weight=bce_pos_weight)
        self.attn_criterion = (
            GuidedMultiHeadAttentionLoss(sigma=guided_attn_loss_sigma, alpha=guided_attn_loss_lambda)
            if use_guided_attn_loss else None
        )  # fmt: skip
        self.guided_layers, self.guided_heads = num_layers_applied_guided_attn, num_heads_applied_guided_attn
        if init_type != "pytorch":
            initialize(self, init_type)
        mask_padding(self)

    @property
    def reduction_factor(self) -> int:
        """Frames per network step."""
        return self._r

    @property
    def alignment_heads(self) -> Optional[List[Tuple[int, int]]]:
        """The heads the guided-attention loss trains to be diagonal (all heads without that loss).

        Other heads may attend to one fixed frame (a silence, the end) with a high focus rate but no alignment.
        """
        if self.attn_criterion is None:
            return None
        layers = range(len(self.decoder.decoders))[-self.guided_layers :]
        return [(layer, head) for layer in layers for head in range(self.guided_heads)]

    def _encode(
        self, src_feats: torch.Tensor, slens: torch.Tensor, src_sids: Optional[torch.Tensor],
        tgt_sids: Optional[torch.Tensor],
    ) -> Tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """(B, T_src, idim) → memory (B, N_src, adim) and its mask (B, 1, N_src)."""
        xs = stack_frames(src_feats, self._r, pad=False)
        masks = _valid(slens, xs.size(1)).to(xs.device).unsqueeze(-2)
        hs, _ = self.encoder(xs, masks)
        return self._add_speakers(hs, src_sids, tgt_sids), masks

    def _teacher_forced(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        src_sids: Optional[torch.Tensor],
        tgt_sids: Optional[torch.Tensor],
    ) -> Dict[str, torch.Tensor]:
        """Encode and decode with the reference as the previous steps (training, alignment, teacher forcing).

        Returns:
            ``slens`` / ``tlens`` (B,) reduced lengths, ``before`` / ``after`` mels (B, N_tgt·r, odim), stop
            ``logits`` (B, N_tgt·r) and ``att``: the encoder-decoder attention (B, L, H, N_tgt, N_src).
        """
        slens = reduced_source_lengths(src_feats_lengths, self._r)
        tlens = reduced_target_lengths(tgt_feats_lengths, self._r)
        hs, h_masks = self._encode(src_feats, slens, src_sids, tgt_sids)
        ys = stack_frames(tgt_feats, self._r, pad=True)  # (B, N_tgt, odim * r)
        # Step n sees the last frame of step n - 1 (zeros for the first): the frame decoding would feed back.
        ys_in = torch.nn.functional.pad(ys[:, :-1, -self.odim :], (0, 0, 1, 0))
        y_masks = _valid(tlens, ys.size(1)).to(ys.device).unsqueeze(-2)
        y_masks = y_masks & subsequent_mask(ys.size(1), device=ys.device).unsqueeze(0)
        zs, _ = self.decoder(ys_in, y_masks, hs, h_masks)
        before, after, logits = self._outputs(zs, tlens)
        return dict(slens=slens, tlens=tlens, before=before, after=after, logits=logits, att=self._src_attentions())

    def _outputs(
        self, zs: torch.Tensor, tlens: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decoder states (B, N, adim) → before/after-postnet mels (B, N·r, odim) and stop logits (B, N·r);
        ``tlens`` (B,): the valid steps of a padded batch, which the postnet's convolutions then keep to."""
        before = self.feat_out(zs).view(zs.size(0), -1, self.odim)
        after = before
        if self.postnet is not None:
            valid = None if tlens is None else _valid(tlens * self._r, before.size(1))
            with valid_frames(self.postnet, valid):
                after = before + self.postnet(before.transpose(1, 2)).transpose(1, 2)
        return before, after, self.prob_out(zs).view(zs.size(0), -1)

    def _src_attentions(self) -> torch.Tensor:
        """Encoder-decoder attention of the last decoder call (B, L, H, N_tgt, N_src)."""
        return torch.stack([layer.src_attn.attn for layer in self.decoder.decoders], dim=1)

    def forward(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """L1 + stop-token (+ guided-attention) loss; see :meth:`AbsVC.forward` for shapes.

        Also reports ``focus_rate``: the best (layer, head)'s focus rate, averaged over the batch.
        """
        out = self._teacher_forced(src_feats, src_feats_lengths, tgt_feats, tgt_feats_lengths, src_sids, tgt_sids)
        slens, tlens, before, after, logits = (out[k] for k in ("slens", "tlens", "before", "after", "logits"))
        t_max = int(tgt_feats_lengths.max())
        ys = tgt_feats[:, :t_max]
        frames = torch.arange(t_max, device=tgt_feats.device)[None]
        labels = (frames >= (tgt_feats_lengths - 1)[:, None]).to(ys.dtype)  # 1 from each utterance's last frame
        l1, _, bce = self.criterion(
            after[:, :t_max], before[:, :t_max], logits[:, :t_max], ys, labels, tgt_feats_lengths
        )
        stats = dict(l1_loss=l1.detach(), bce_loss=bce.detach())
        loss = l1 + bce
        att = out["att"]  # (B, L, H, N_tgt, N_src)
        if self.attn_criterion is not None:
            guided = att[:, -self.guided_layers :, : self.guided_heads].flatten(1, 2)
            attn_loss = self.attn_criterion(guided, slens, tlens)
            loss = loss + attn_loss
            stats["attn_loss"] = attn_loss.detach()
        with torch.no_grad():
            mask = _valid(tlens, att.size(3)).to(att.device)[:, None, None]
            per_head = (att.max(-1).values * mask).sum(-1) / tlens[:, None, None]  # (B, L, H)
            stats["focus_rate"] = per_head.flatten(1).max(1).values.mean()
        stats["loss"] = loss.detach()
        return loss_outputs(loss, stats, src_feats.size(0))

    @torch.no_grad()
    def alignments(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Teacher-forced encoder-decoder attention (B, L, H, N_tgt, N_src); see :meth:`AbsAttentionVC.alignments`."""
        out = self._teacher_forced(src_feats, src_feats_lengths, tgt_feats, tgt_feats_lengths, src_sids, tgt_sids)
        return out["att"]

    @torch.no_grad()
    def inference(
        self,
        src_feats: torch.Tensor,
        tgt_feats: Optional[torch.Tensor] = None,
        alpha: float = 1.0,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
        threshold: float = 0.5,
        minlenratio: float = 0.0,
        maxlenratio: float = 3.0,
    ) -> Dict[str, torch.Tensor]:
        """Convert one utterance: decode until a stop probability reaches ``threshold``.

        Args:
            src_feats: (T_src, idim).
            tgt_feats: Reference (T_tgt, odim): teacher-forced decoding of exactly ``T_tgt`` frames.
            alpha: Unused (an autoregressive model sets its own rate); must be 1.
            src_sids / tgt_sids: Speaker ids (1,) of a many-to-many model.
            threshold: Stop probability that ends decoding.
            minlenratio / maxlenratio: Decoder steps at least / at most this times the reduced source length.

        Returns:
            ``feat_gen`` (T_out, odim), ``feat_gen_before``, ``prob`` (stop probability per frame),
            ``att_w`` (L, H, N_out, N_src) and ``duration`` (N_src,) read from the attention's best head.
        """
        if alpha != 1.0:
            raise ValueError("VTN decodes at its own speaking rate: --alpha must be 1")
        xs = src_feats.unsqueeze(0)
        xlens = xs.new_tensor([xs.size(1)], dtype=torch.long)
        slens = reduced_source_lengths(xlens, self._r)
        if int(slens[0]) == 0:
            raise ValueError(f"source has {xs.size(1)} frames, fewer than the reduction factor {self._r}")
        if tgt_feats is not None:
            ys = tgt_feats.unsqueeze(0)
            out = self._teacher_forced(xs, xlens, ys, ys.new_tensor([ys.size(1)], dtype=torch.long), src_sids,
                                       tgt_sids)  # fmt: skip
            before, after, logits, att = out["before"], out["after"], out["logits"], out["att"][0]
            t_out = tgt_feats.size(0)
        else:
            hs, _ = self._encode(xs, slens, src_sids, tgt_sids)
            before, after, logits, att = self._decode(hs, int(slens[0]), threshold, minlenratio, maxlenratio)
            t_out = after.size(1)
        layer, head, _ = best_head(att, self.alignment_heads)
        return dict(
            feat_gen=after[0, :t_out], feat_gen_before=before[0, :t_out], prob=torch.sigmoid(logits[0, :t_out]),
            att_w=att, duration=torch.from_numpy(attention_durations(att[layer, head])).to(src_feats.device),
        )  # fmt: skip

    def _decode(
        self, hs: torch.Tensor, n_src: int, threshold: float, minlenratio: float, maxlenratio: float
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Autoregressive decoding with the decoder's cache: before/after mels, logits and attention."""
        maxlen, minlen = max(1, int(n_src * maxlenratio)), int(n_src * minlenratio)
        ys = hs.new_zeros(1, 1, self.odim)
        cache, zs, atts = None, [], []
        for step in range(1, maxlen + 1):
            masks = subsequent_mask(step, device=hs.device).unsqueeze(0)
            z, cache = self.decoder.forward_one_step(ys, masks, hs, cache=cache)  # (1, adim)
            zs.append(z)
            atts.append(torch.stack([layer.src_attn.attn[0, :, -1] for layer in self.decoder.decoders]))
            frames = self.feat_out(z).view(self._r, self.odim)
            ys = torch.cat([ys, frames[-1].view(1, 1, self.odim)], dim=1)
            if step >= minlen and bool((torch.sigmoid(self.prob_out(z)) >= threshold).any()):
                break
        before, after, logits = self._outputs(torch.stack(zs, dim=1))
        return before, after, logits, torch.stack(atts, dim=2)  # att (L, H, N_out, N_src)

