"""NARS2S: non-autoregressive sequence-to-sequence voice conversion.

Hayashi et al., "Non-autoregressive sequence-to-sequence voice conversion", ICASSP 2021. A FastSpeech2-style
network whose "tokens" are (reduced) source mel frames: encoder → target-speaker conditioning → variance
adaptor (duration per source frame, pitch and energy converters) → length regulator → decoder → mel + postnet.
"""

import logging
from typing import Dict, Optional, Tuple

import torch
from espnet.nets.pytorch_backend.fastspeech.duration_predictor import DurationPredictor
from espnet.nets.pytorch_backend.fastspeech.length_regulator import LengthRegulator
from espnet.nets.pytorch_backend.nets_utils import make_pad_mask
from espnet.nets.pytorch_backend.tacotron2.decoder import Postnet
from espnet2.torch_utils.initialize import initialize
from typeguard import typechecked

from espnet2_vc.vc.abs_vc import AbsVC, loss_outputs
from espnet2_vc.vc.masking import mask_padding, valid_frames
from espnet2_vc.vc.nars2s.blocks import build_blocks, input_projection
from espnet2_vc.vc.nars2s.loss import NARS2SLoss
from espnet2_vc.vc.nars2s.variance_converter import VarianceConverter
from espnet2_vc.vc.reduction import (
    average_by_duration,
    pool_frames,
    reduced_source_lengths,
    reduced_target_lengths,
    stack_frames,
)


class NARS2S(AbsVC):
    """Conformer (or transformer) encoder/decoder VC network with per-source-frame durations."""

    requires_durations = True

    @typechecked
    def __init__(
        self,
        idim: int,
        odim: int,
        adim: int = 256,
        aheads: int = 2,
        elayers: int = 4,
        eunits: int = 1024,
        dlayers: int = 4,
        dunits: int = 1024,
        encoder_type: str = "conformer",
        decoder_type: str = "conformer",
        reduction_factor: int = 1,
        postnet_layers: int = 5,
        postnet_chans: int = 256,
        postnet_filts: int = 5,
        postnet_dropout_rate: float = 0.5,
        use_batch_norm: bool = True,
        positionwise_layer_type: str = "conv1d",
        positionwise_conv_kernel_size: int = 1,
        use_scaled_pos_enc: bool = True,
        encoder_normalize_before: bool = True,
        decoder_normalize_before: bool = True,
        encoder_concat_after: bool = False,
        decoder_concat_after: bool = False,
        transformer_enc_dropout_rate: float = 0.1,
        transformer_enc_positional_dropout_rate: float = 0.1,
        transformer_enc_attn_dropout_rate: float = 0.1,
        transformer_dec_dropout_rate: float = 0.1,
        transformer_dec_positional_dropout_rate: float = 0.1,
        transformer_dec_attn_dropout_rate: float = 0.1,
        conformer_pos_enc_layer_type: str = "rel_pos",
        conformer_self_attn_layer_type: str = "rel_selfattn",
        conformer_activation_type: str = "swish",
        use_macaron_style_in_conformer: bool = True,
        use_cnn_in_conformer: bool = True,
        conformer_enc_kernel_size: int = 7,
        conformer_dec_kernel_size: int = 31,
        duration_predictor_layers: int = 2,
        duration_predictor_chans: int = 256,
        duration_predictor_kernel_size: int = 3,
        duration_predictor_dropout_rate: float = 0.1,
        stop_gradient_from_duration_predictor: bool = False,
        use_pitch: bool = True,
        pitch_predictor_layers: int = 2,
        pitch_predictor_chans: int = 256,
        pitch_predictor_kernel_size: int = 3,
        pitch_predictor_dropout: float = 0.5,
        pitch_embed_kernel_size: int = 9,
        pitch_embed_dropout: float = 0.5,
        stop_gradient_from_pitch_predictor: bool = False,
        use_teacher_forcing_pitch: bool = True,
        use_source_pitch: bool = False,
        use_energy: bool = True,
        energy_predictor_layers: int = 2,
        energy_predictor_chans: int = 256,
        energy_predictor_kernel_size: int = 3,
        energy_predictor_dropout: float = 0.5,
        energy_embed_kernel_size: int = 9,
        energy_embed_dropout: float = 0.5,
        stop_gradient_from_energy_predictor: bool = False,
        use_teacher_forcing_energy: bool = True,
        use_source_energy: bool = False,
        validate_like_inference: bool = True,
        spks: Optional[int] = None,
        init_type: str = "xavier_uniform",
    ):
        """Initialize NARS2S.

        Args:
            idim: Source feature dimension (mel bins).
            odim: Target feature dimension (mel bins).
            adim: Hidden (attention) dimension.
            aheads: Attention heads.
            elayers / eunits: Encoder blocks / feed-forward units.
            dlayers / dunits: Decoder blocks / feed-forward units.
            encoder_type / decoder_type: ``conformer`` or ``transformer``.
            reduction_factor: Frames per step, in and out (Tacotron-style reshape (B, T, D) → (B, T/r, D·r)).
            postnet_*: Tacotron2 postnet (0 layers disables it).
            use_batch_norm: Batch norm in the postnet.
            positionwise_layer_type / positionwise_conv_kernel_size: Feed-forward type of the blocks.
            use_scaled_pos_enc: Scaled positional encoding (transformer blocks).
            encoder_normalize_before / decoder_normalize_before: Pre-norm blocks.
            encoder_concat_after / decoder_concat_after: Concat attention in/out instead of adding.
            transformer_{enc,dec}_*dropout_rate: Dropouts of the encoder / decoder blocks.
            conformer_*: Conformer block options (espnet names).
            duration_predictor_*: Duration predictor (log domain) options.
            stop_gradient_from_duration_predictor: Detach the duration predictor's input.
            use_pitch / use_energy: Convert pitch / energy (needs ``--pitch_extract`` / ``--energy_extract``).
            {pitch,energy}_predictor_* / {pitch,energy}_embed_*: Converter and embedding options.
            stop_gradient_from_{pitch,energy}_predictor: Detach the converter's input.
            use_teacher_forcing_{pitch,energy}: Embed ground truth (True) or the prediction (False) in training.
            use_source_{pitch,energy}: Condition the converter on the source's own pitch / energy.
            validate_like_inference: In validation, embed predicted pitch / energy as inference does.
            spks: Number of speakers for many-to-many (source and target speaker embeddings); None: one pair.
            init_type: Parameter initialization (espnet ``initialize``), ``pytorch`` for torch defaults.
        """
        super().__init__()
        for name, value in (("encoder_type", encoder_type), ("decoder_type", decoder_type)):
            if value not in ("conformer", "transformer"):
                raise ValueError(f"{name} must be 'conformer' or 'transformer': {value}")
        if reduction_factor < 1:
            raise ValueError(f"reduction_factor must be >= 1: {reduction_factor}")
        self.idim, self.odim, self._r = idim, odim, reduction_factor
        self.validate_like_inference = validate_like_inference
        self.stop_gradient_from_duration_predictor = stop_gradient_from_duration_predictor
        self.requires_pitch, self.requires_energy = use_pitch, use_energy
        self.requires_source_pitch = use_pitch and use_source_pitch
        self.requires_source_energy = use_energy and use_source_energy

        common = dict(
            positionwise_layer_type=positionwise_layer_type,
            positionwise_conv_kernel_size=positionwise_conv_kernel_size,
            use_scaled_pos_enc=use_scaled_pos_enc,
            use_macaron_style_in_conformer=use_macaron_style_in_conformer,
            conformer_pos_enc_layer_type=conformer_pos_enc_layer_type,
            conformer_self_attn_layer_type=conformer_self_attn_layer_type,
            conformer_activation_type=conformer_activation_type,
            use_cnn_in_conformer=use_cnn_in_conformer,
        )
        self.input_layer = input_projection(idim * reduction_factor, adim, transformer_enc_dropout_rate)
        self.encoder = build_blocks(
            encoder_type,
            adim=adim,
            aheads=aheads,
            units=eunits,
            layers=elayers,
            dropout_rate=transformer_enc_dropout_rate,
            positional_dropout_rate=transformer_enc_positional_dropout_rate,
            attn_dropout_rate=transformer_enc_attn_dropout_rate,
            normalize_before=encoder_normalize_before,
            concat_after=encoder_concat_after,
            conformer_kernel_size=conformer_enc_kernel_size,
            common=common,
        )
        self._init_speakers(spks, adim)
        self.duration_predictor = DurationPredictor(
            idim=adim,
            n_layers=duration_predictor_layers,
            n_chans=duration_predictor_chans,
            kernel_size=duration_predictor_kernel_size,
            dropout_rate=duration_predictor_dropout_rate,
        )
        # Attribute names (and so checkpoint keys) "pitch" / "energy"; self.converters() maps them by name.
        self.pitch = VarianceConverter(
            adim=adim,
            n_layers=pitch_predictor_layers,
            n_chans=pitch_predictor_chans,
            kernel_size=pitch_predictor_kernel_size,
            dropout_rate=pitch_predictor_dropout,
            embed_kernel_size=pitch_embed_kernel_size,
            embed_dropout_rate=pitch_embed_dropout,
            use_source=self.requires_source_pitch,
            stop_gradient=stop_gradient_from_pitch_predictor,
            teacher_forcing=use_teacher_forcing_pitch,
        ) if use_pitch else None  # fmt: skip
        self.energy = VarianceConverter(
            adim=adim,
            n_layers=energy_predictor_layers,
            n_chans=energy_predictor_chans,
            kernel_size=energy_predictor_kernel_size,
            dropout_rate=energy_predictor_dropout,
            embed_kernel_size=energy_embed_kernel_size,
            embed_dropout_rate=energy_embed_dropout,
            use_source=self.requires_source_energy,
            stop_gradient=stop_gradient_from_energy_predictor,
            teacher_forcing=use_teacher_forcing_energy,
        ) if use_energy else None  # fmt: skip
        self.length_regulator = LengthRegulator()
        self.decoder = build_blocks(
            decoder_type,
            adim=adim,
            aheads=aheads,
            units=dunits,
            layers=dlayers,
            dropout_rate=transformer_dec_dropout_rate,
            positional_dropout_rate=transformer_dec_positional_dropout_rate,
            attn_dropout_rate=transformer_dec_attn_dropout_rate,
            normalize_before=decoder_normalize_before,
            concat_after=decoder_concat_after,
            conformer_kernel_size=conformer_dec_kernel_size,
            common=common,
        )
        self.feat_out = torch.nn.Linear(adim, odim * reduction_factor)
        self.postnet = (
            Postnet(idim=idim, odim=odim, n_layers=postnet_layers, n_chans=postnet_chans, n_filts=postnet_filts,
                    use_batch_norm=use_batch_norm, dropout_rate=postnet_dropout_rate)
            if postnet_layers > 0 else None
        )  # fmt: skip
        if init_type != "pytorch":
            initialize(self, init_type)
        mask_padding(self)
        self.criterion = NARS2SLoss()

    def converters(self) -> Dict[str, VarianceConverter]:
        """The variance converters this model has, by the name of what they convert (``pitch``, ``energy``)."""
        return {name: conv for name, conv in (("pitch", self.pitch), ("energy", self.energy)) if conv is not None}

    @property
    def reduction_factor(self) -> int:
        """Frames per network step."""
        return self._r

    def _encode(
        self,
        xs: torch.Tensor,
        slens: torch.Tensor,
        src_sids: Optional[torch.Tensor],
        tgt_sids: Optional[torch.Tensor],
    ) -> torch.Tensor:
        """(B, T_src, idim) → (B, N_src, adim), conditioned on the speakers."""
        xs = stack_frames(xs, self._r, pad=False)
        masks = (~make_pad_mask(slens, maxlen=xs.size(1))).to(xs.device)
        with valid_frames(self.encoder, masks):
            hs, _ = self.encoder(self.input_layer(xs) * masks.unsqueeze(-1), masks.unsqueeze(-2))
        return self._add_speakers(hs, src_sids, tgt_sids)

    def _per_source_frame(
        self, values: Dict[str, Optional[torch.Tensor]], lengths: torch.Tensor, ds: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """Target pitch / energy (B, T_tgt, 1) of this model's converters, averaged over each reduced source
        frame's span of ``ds`` (B, N_src) → (B, N_src, 1); ``lengths`` (B,) target frames; absent ones left out."""
        return {
            name: average_by_duration(pool_frames(values[name], lengths, self._r, pad=True), ds)
            for name in self.converters() if values.get(name) is not None
        }  # fmt: skip

    def _variances(
        self,
        hs: torch.Tensor,
        pad_masks: torch.Tensor,
        slens: torch.Tensor,
        src: Dict[str, Optional[torch.Tensor]],
        tgt: Dict[str, Optional[torch.Tensor]],
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Run the pitch / energy converters; ``tgt`` values given are embedded (teacher forcing)."""
        preds = {}
        embs = 0
        for name, conv in self.converters().items():
            source = src.get(name)
            if source is not None:
                source = pool_frames(source, slens * self._r, self._r, pad=False)[:, : hs.size(1)]
            with valid_frames(conv, ~pad_masks):
                preds[name], emb = conv(hs, pad_masks, source, tgt.get(name))
            embs = embs + emb
        return hs + embs, preds

    def _decode(self, hs: torch.Tensor, nlens: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, N_tgt, adim) → before/after-postnet outputs (B, N_tgt · r, odim); ``nlens`` (B,): valid steps of a
        padded batch (None: one utterance)."""
        valid = None if nlens is None else (~make_pad_mask(nlens, maxlen=hs.size(1))).to(hs.device)
        with valid_frames(self.decoder, valid):
            zs, _ = self.decoder(hs, None if valid is None else valid.unsqueeze(-2))
        before = self.feat_out(zs).view(zs.size(0), -1, self.odim)
        if self.postnet is None:
            return before, before
        frames = None if valid is None else valid.repeat_interleave(self._r, dim=1)
        with valid_frames(self.postnet, frames):
            return before, before + self.postnet(before.transpose(1, 2)).transpose(1, 2)

    def forward(
        self,
        src_feats: torch.Tensor,
        src_feats_lengths: torch.Tensor,
        tgt_feats: torch.Tensor,
        tgt_feats_lengths: torch.Tensor,
        durations: Optional[torch.Tensor] = None,
        durations_lengths: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        energy: Optional[torch.Tensor] = None,
        src_pitch: Optional[torch.Tensor] = None,
        src_energy: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Compute the loss; see :meth:`AbsVC.forward` for shapes. Durations must match (checked by the wrapper)."""
        if durations is None:
            raise ValueError("NARS2S needs durations for training: give the 'durations' data (vc.sh stage 4)")
        r = self._r
        slens = reduced_source_lengths(src_feats_lengths, r)
        tlens = reduced_target_lengths(tgt_feats_lengths, r)
        hs = self._encode(src_feats, slens, src_sids, tgt_sids)
        ds = durations[:, : hs.size(1)]
        pad_masks = make_pad_mask(slens, maxlen=hs.size(1)).to(hs.device)
        with valid_frames(self.duration_predictor, ~pad_masks):
            d_outs = self.duration_predictor(hs.detach() if self.stop_gradient_from_duration_predictor else hs,
                                             pad_masks)  # fmt: skip

        # Targets per source frame: reduce the target frames, then average over each source frame's span.
        values = {"pitch": pitch, "energy": energy}
        for name in self.converters():
            if values[name] is None:
                raise ValueError(f"this model converts {name} (use_{name}: true): configure --{name}_extract")
        refs = self._per_source_frame(values, tgt_feats_lengths, ds)
        inference_like = not self.training and self.validate_like_inference
        converters = self.converters()
        forced = {name: ref for name, ref in refs.items() if not inference_like and converters[name].teacher_forcing}
        hs, preds = self._variances(hs, pad_masks, slens, {"pitch": src_pitch, "energy": src_energy}, forced)
        hs = self.length_regulator(hs, ds)  # (B, N_tgt, adim)
        before, after = self._decode(hs, tlens)

        ys = stack_frames(tgt_feats, r, pad=True).view(tgt_feats.size(0), -1, self.odim)
        losses, parts = self.criterion(
            after, before, ys, tgt_feats_lengths, d_outs, ds, slens,
            preds.get("pitch"), refs.get("pitch"), preds.get("energy"), refs.get("energy"),
        )  # fmt: skip
        loss = sum(losses.values())
        stats = {k: v.detach() for k, v in {**losses, **parts}.items()}
        stats["loss"] = loss.detach()
        return loss_outputs(loss, stats, src_feats.size(0))

    def inference(
        self,
        src_feats: torch.Tensor,
        tgt_feats: Optional[torch.Tensor] = None,
        alpha: float = 1.0,
        durations: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        energy: Optional[torch.Tensor] = None,
        src_pitch: Optional[torch.Tensor] = None,
        src_energy: Optional[torch.Tensor] = None,
        src_sids: Optional[torch.Tensor] = None,
        tgt_sids: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """Convert one utterance; see :meth:`AbsVC.inference`.

        Output length is ``sum(durations) * r`` frames, trimmed to the ``tgt_feats`` reference's length when it is
        given (teacher forcing, with its ``durations``).
        """
        r = self._r
        xs = src_feats.unsqueeze(0)
        slens = reduced_source_lengths(xs.new_tensor([xs.size(1)], dtype=torch.long), r)
        if int(slens[0]) == 0:
            raise ValueError(f"source has {xs.size(1)} frames, fewer than the reduction factor {r}")
        hs = self._encode(xs, slens, src_sids, tgt_sids)
        pad_masks = make_pad_mask(slens, maxlen=hs.size(1)).to(hs.device)
        if durations is None:
            ds = self.duration_predictor.inference(hs, pad_masks)
            if alpha != 1.0:
                ds = torch.round(ds.float() / alpha).long()
        else:
            ds = durations.view(1, -1)[:, : hs.size(1)].long()
            if ds.size(1) != hs.size(1):
                raise ValueError(f"{durations.numel()} durations given for {hs.size(1)} reduced source frames")
        given = {name: v.unsqueeze(0) for name, v in (("pitch", pitch), ("energy", energy)) if v is not None}
        lens = torch.tensor([max((v.size(1) for v in given.values()), default=0)], device=xs.device)
        forced = self._per_source_frame(given, lens, ds)
        src = {k: None if v is None else v.unsqueeze(0) for k, v in (("pitch", src_pitch), ("energy", src_energy))}
        hs, preds = self._variances(hs, pad_masks, slens, src, forced)
        if int(ds.sum()) == 0:
            logging.warning("all predicted durations are 0; the length regulator uses 1 per frame")
        hs = self.length_regulator(hs, ds)
        before, after = self._decode(hs, None)
        out = after[0] if tgt_feats is None else after[0, : tgt_feats.size(0)]
        result = {"feat_gen": out, "feat_gen_before": before[0, : out.size(0)], "duration": ds[0]}
        for name, pred in preds.items():
            result[name] = forced[name][0] if name in forced else pred[0]
        return result
