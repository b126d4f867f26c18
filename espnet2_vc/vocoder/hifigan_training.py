"""HiFi-GAN training model: mels of the VC config → waveform segments, with espnet's HiFi-GAN losses.

The networks and losses are espnet's (``espnet2.gan_tts.hifigan``); this wrapper owns the mel extraction
(the VC config's settings, never retyped), the random aligned segments and the two GAN turns that
espnet's ``GANTrainer`` asks for.
"""

import logging
import math
from typing import Any, Dict, Optional, Tuple

import torch
from espnet2.gan_tts.hifigan.loss import (
    DiscriminatorAdversarialLoss,
    FeatureMatchLoss,
    GeneratorAdversarialLoss,
    MelSpectrogramLoss,
)
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_gan_espnet_model import AbsGANESPnetModel
from espnet2.tts.feats_extract.log_mel_fbank import LogMelFbank
from typeguard import typechecked

from espnet2_vc.utils.config import MEL_KEYS
from espnet2_vc.vocoder.checks import MEL_LOSS_KEYS, fill_mel_conf
from espnet2_vc.vocoder.phase_losses import PhaseAmplitudeLoss
from espnet2_vc.vocoder.stft_loss import MultiResolutionSTFTLoss


def mel_floor(log_base: Optional[float]) -> float:
    """The log-mel value of silence in espnet's ``LogMel`` (amplitudes are clamped at 1e-10)."""
    return math.log(1e-10) / (1.0 if log_base is None else math.log(log_base))


def log_mel_extractor(mel: Dict[str, Any]) -> LogMelFbank:
    """espnet's ``LogMelFbank`` with the VC model's mel settings (``espnet2_vc.utils.config.mel_config``)."""
    return LogMelFbank(**{k: mel[k] for k in MEL_KEYS if k in mel})


class HiFiGANVocoderModel(AbsGANESPnetModel):
    """HiFi-GAN on the VC model's mels: ground-truth mels (computed here) or predicted GTA mels (given)."""

    @typechecked
    def __init__(
        self,
        generator: torch.nn.Module,
        discriminator: torch.nn.Module,
        mel: Dict[str, Any],
        segment_size: int = 8192,
        lambda_mel: float = 45.0,
        lambda_feat_match: float = 2.0,
        lambda_adv: float = 1.0,
        lambda_stft: float = 0.0,
        lambda_amplitude: float = 0.0,
        lambda_phase: float = 0.0,
        lambda_consistency: float = 0.0,
        generator_adv_loss_params: Optional[Dict[str, Any]] = None,
        discriminator_adv_loss_params: Optional[Dict[str, Any]] = None,
        feat_match_loss_params: Optional[Dict[str, Any]] = None,
        mel_loss_params: Optional[Dict[str, Any]] = None,
        stft_loss_params: Optional[Dict[str, Any]] = None,
        cache_generator_outputs: bool = True,
        discriminator_train_start_steps: int = 0,
    ):
        """Initialize.

        Args:
            generator: espnet ``HiFiGANGenerator`` with ``in_channels = n_mels`` and upsampling = ``hop_length``.
            discriminator: e.g. espnet ``HiFiGANMultiScaleMultiPeriodDiscriminator``.
            mel: The VC model's mel settings (``espnet2_vc.utils.config.mel_config``).
            segment_size: Samples per training segment; a multiple of ``hop_length``.
            lambda_mel: Weight of the mel L1 loss (45 in HiFi-GAN).
            lambda_feat_match: Weight of the feature-matching loss (2 in HiFi-GAN).
            lambda_adv: Weight of the generator's adversarial loss.
            lambda_stft: Weight of the multi-resolution STFT loss (Parallel WaveGAN's auxiliary loss); 0 (the
                HiFi-GAN recipe) leaves it out. It speeds up learning the harmonic fine structure (doc/vocoder.md).
            lambda_amplitude: Weight of APNet's log-amplitude loss (``phase_losses``; 45 in APNet) on a generator
                that predicts an STFT (``spectrum``, ``synthesize``, ``analyze``: Vocos); 0 leaves it out.
            lambda_phase: Weight of APNet's anti-wrapping phase losses (100 in APNet); 0 leaves them out.
            lambda_consistency: Weight of APNet's STFT consistency loss (20 in APNet); 0 leaves it out.
            generator_adv_loss_params: ``GeneratorAdversarialLoss`` options (default mse, averaged).
            discriminator_adv_loss_params: ``DiscriminatorAdversarialLoss`` options.
            feat_match_loss_params: ``FeatureMatchLoss`` options.
            mel_loss_params: ``MelSpectrogramLoss`` options; its mel settings come from ``mel`` and a different
                stated one is an error.
            stft_loss_params: ``MultiResolutionSTFTLoss`` options (``fft_sizes``, ``hop_sizes``, ``win_lengths``,
                ``window``).
            cache_generator_outputs: Reuse the first turn's generated segment in the second turn of a step
                (one generator forward per step, as espnet's VITS does).
            discriminator_train_start_steps: Training steps with the mel (and STFT) losses only, before the
                discriminator and the adversarial and feature-matching losses join in (Parallel WaveGAN's
                option of the same name); those steps skip the discriminator, its cost, entirely. The count is
                a buffer of the model: saved in checkpoints, so a resumed or fine-tuned training goes on from it.
        """
        super().__init__()
        self.mel = dict(mel)
        self.hop_length = int(mel["hop_length"])
        self.n_mels = int(mel["n_mels"])
        factor = getattr(generator, "upsample_factor", self.hop_length)
        if factor != self.hop_length:
            raise ValueError(f"the generator upsamples by {factor} but the VC config's hop_length is "
                             f"{self.hop_length}: it must make one hop of samples per mel frame")  # fmt: skip
        in_channels = generator.input_conv.in_channels if hasattr(generator, "input_conv") else self.n_mels
        if in_channels != self.n_mels:
            raise ValueError(f"the generator takes {in_channels} mel bins but the VC config has n_mels={self.n_mels}")
        if segment_size % self.hop_length != 0 or segment_size <= int(mel["n_fft"]) // 2:
            raise ValueError(f"--model_conf segment_size={segment_size} must be a multiple of hop_length="
                             f"{self.hop_length} above n_fft / 2 (the mel loss pads by it); e.g. "
                             f"{32 * self.hop_length}")  # fmt: skip
        self.segment_size = segment_size
        self.generator = generator
        self.discriminator = discriminator
        self.feats_extract = log_mel_extractor(mel)
        self.floor = mel_floor(mel.get("log_base"))
        loss_conf = fill_mel_conf(mel_loss_params, mel, {k: k for k in MEL_LOSS_KEYS if k in mel},
                                  "model_conf mel_loss_params", "(--vc_config)")  # fmt: skip
        self.mel_loss = MelSpectrogramLoss(**loss_conf)
        if lambda_stft < 0:
            raise ValueError(f"--model_conf lambda_stft={lambda_stft} must be >= 0 (0: no STFT loss)")
        self.stft_loss = MultiResolutionSTFTLoss(**(stft_loss_params or {})) if lambda_stft > 0 else None
        if stft_loss_params and self.stft_loss is None:
            logging.warning("--model_conf stft_loss_params is set but lambda_stft is 0: the STFT loss is off")
        longest = max((loss.fft_size for loss in self.stft_loss.losses), default=0) if self.stft_loss else 0
        if segment_size <= longest // 2:
            raise ValueError(f"--model_conf segment_size={segment_size} must exceed half the longest STFT loss "
                             f"fft_size ({longest})")  # fmt: skip
        spectral = dict(amplitude=lambda_amplitude, phase=lambda_phase, consistency=lambda_consistency)
        if any(w < 0 for w in spectral.values()):
            raise ValueError(f"--model_conf lambda_amplitude / lambda_phase / lambda_consistency {spectral}: each must "
                             "be >= 0 (0: that loss is off)")  # fmt: skip
        self.spectral_weights = {k: w for k, w in spectral.items() if w > 0}
        self.spectral_loss = None
        if self.spectral_weights:
            if not all(callable(getattr(generator, f, None)) for f in ("spectrum", "synthesize", "analyze")):
                raise ValueError(f"--model_conf lambda_{next(iter(self.spectral_weights))}: the spectral losses need "
                                 "a generator that predicts an STFT (--generator vocos)")  # fmt: skip
            self.spectral_loss = PhaseAmplitudeLoss(edge_frames=generator.n_fft // (2 * self.hop_length))
        self.generator_adv_loss = GeneratorAdversarialLoss(**(generator_adv_loss_params or {}))
        self.discriminator_adv_loss = DiscriminatorAdversarialLoss(**(discriminator_adv_loss_params or {}))
        self.feat_match_loss = FeatureMatchLoss(**(feat_match_loss_params or {}))
        self.lambda_mel = lambda_mel
        self.lambda_feat_match = lambda_feat_match
        self.lambda_adv = lambda_adv
        self.lambda_stft = lambda_stft
        self.cache_generator_outputs = cache_generator_outputs
        self._cache: Optional[tuple] = None
        if discriminator_train_start_steps < 0:
            raise ValueError(f"--model_conf discriminator_train_start_steps={discriminator_train_start_steps} must "
                             "be >= 0")  # fmt: skip
        self.discriminator_train_start_steps = discriminator_train_start_steps
        if discriminator_train_start_steps > 0:  # (absent otherwise: checkpoints of earlier configs still load)
            self.register_buffer("num_updates", torch.zeros((), dtype=torch.long))

    @property
    def adversarial(self) -> bool:
        """Whether this step trains with the discriminator (always at validation)."""
        if not self.training or self.discriminator_train_start_steps == 0:
            return True
        return int(self.num_updates) >= self.discriminator_train_start_steps

    def mels(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        feats: Optional[torch.Tensor] = None,
        feats_lengths: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Log-mels (B, T_feats, n_mels) and lengths (B,): ``feats`` if given, else from ``speech`` (B, T_wav).

        Frames past an utterance's end hold the log-mel of silence.
        """
        if feats is None:
            with torch.autocast(speech.device.type, enabled=False):
                feats, feats_lengths = self.feats_extract(speech.float(), speech_lengths)
        pad = torch.arange(feats.size(1), device=feats.device)[None] >= feats_lengths[:, None]
        return feats.masked_fill(pad[..., None], self.floor), feats_lengths

    def segments(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        feats: Optional[torch.Tensor] = None,
        feats_lengths: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Random aligned segments: mels (B, n_mels, S / hop) and waveforms (B, 1, S), S = ``segment_size``.

        Frame ``t`` is centred on sample ``t × hop`` (espnet's centred STFT), so frames ``[s, s + S/hop)`` go with
        samples ``[s × hop, s × hop + S)``. Utterances shorter than a segment are padded with silence.
        """
        mel, mel_lengths = self.mels(speech, speech_lengths, feats, feats_lengths)
        frames = self.segment_size // self.hop_length
        if mel.size(1) < frames:
            mel = torch.nn.functional.pad(mel, (0, 0, 0, frames - mel.size(1)), value=self.floor)
        n_wav = mel.size(1) * self.hop_length
        if speech.size(1) < n_wav:
            speech = torch.nn.functional.pad(speech, (0, n_wav - speech.size(1)))
        max_start = (mel_lengths - frames).clamp(min=0)
        starts = (torch.rand(mel.size(0), device=mel.device) * (max_start + 1).to(mel.dtype)).long()
        starts = torch.minimum(starts, max_start)
        frame_idx = starts[:, None] + torch.arange(frames, device=mel.device)[None]
        mel_seg = torch.gather(mel, 1, frame_idx[..., None].expand(-1, -1, mel.size(2)))
        wav_idx = starts[:, None] * self.hop_length + torch.arange(self.segment_size, device=mel.device)[None]
        wav_seg = torch.gather(speech, 1, wav_idx)
        return mel_seg.transpose(1, 2), wav_seg[:, None]

    def _generate(self, *batch: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, Optional[tuple]]:
        """(generated, reference) segments (B, 1, S) and, with spectral losses, the predicted (magnitude, phase)
        (B, F, S / hop) each: shared by the two turns of a training step."""
        if self._cache is not None and self.training and self.cache_generator_outputs:
            out, self._cache = self._cache, None  # second turn of the step: reuse, then forget
            return out
        mel_seg, wav_seg = self.segments(*batch)
        if self.spectral_loss is None:
            out = (self.generator(mel_seg), wav_seg.to(mel_seg.dtype), None)
        else:  # the predicted spectrum too, for the spectral losses
            spectrum = self.generator.spectrum(mel_seg)
            out = (self.generator.synthesize(*spectrum), wav_seg.to(mel_seg.dtype), spectrum)
        if self.training and self.cache_generator_outputs:
            self._cache = out
        return out

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        feats: Optional[torch.Tensor] = None,
        feats_lengths: Optional[torch.Tensor] = None,
        forward_generator: bool = True,
        **kwargs,
    ) -> Dict[str, Any]:
        """The generator's or the discriminator's loss for one turn of ``GANTrainer``.

        Args:
            speech: Target waveforms (B, T_wav).
            speech_lengths: (B,).
            feats: Predicted (GTA) log-mels of the VC model (B, T_feats, n_mels); None: ground-truth mels of
                ``speech``.
            feats_lengths: (B,).
            forward_generator: Generator loss (optimizer 0) or discriminator loss (optimizer 1).

        Returns:
            ``loss`` (scalar), ``stats``, ``weight`` (batch size) and ``optim_idx``.
        """
        speech_hat, speech_ref, spectrum = self._generate(speech, speech_lengths, feats, feats_lengths)
        batch_size = speech.size(0)
        adversarial = self.adversarial
        if forward_generator:
            mel_loss = self.mel_loss(speech_hat, speech_ref) * self.lambda_mel
            if adversarial:
                p_hat = self.discriminator(speech_hat)
                with torch.no_grad():
                    p = self.discriminator(speech_ref)
                adv_loss = self.generator_adv_loss(p_hat) * self.lambda_adv
                fm_loss = self.feat_match_loss(p_hat, p) * self.lambda_feat_match
            else:
                adv_loss = fm_loss = torch.zeros((), device=mel_loss.device)
            if self.training and self.discriminator_train_start_steps > 0:
                self.num_updates += 1
            loss = mel_loss + adv_loss + fm_loss
            stats = dict(generator_mel_loss=mel_loss.item(), generator_adv_loss=adv_loss.item(),
                         generator_feat_match_loss=fm_loss.item())  # fmt: skip
            if self.stft_loss is not None:
                stft_loss = self.stft_loss(speech_hat, speech_ref) * self.lambda_stft
                loss = loss + stft_loss
                stats["generator_stft_loss"] = stft_loss.item()
            if self.spectral_loss is not None:
                analyze = self.generator.analyze
                terms = self.spectral_loss(*spectrum, analyze(speech_ref), analyze(speech_hat))
                for name, weight in self.spectral_weights.items():
                    loss = loss + terms[name] * weight
                    stats[f"generator_{name}_loss"] = terms[name].item() * weight
            stats["generator_loss"] = loss.item()
            optim_idx = 0
        elif not adversarial:  # before discriminator_train_start_steps: no discriminator turn (no gradients)
            loss = torch.zeros((), device=speech_hat.device, requires_grad=True)
            stats = dict(discriminator_loss=0.0, discriminator_real_loss=0.0, discriminator_fake_loss=0.0)
            optim_idx = 1
        else:
            p_hat = self.discriminator(speech_hat.detach())
            p = self.discriminator(speech_ref)
            real_loss, fake_loss = self.discriminator_adv_loss(p_hat, p)
            loss = real_loss + fake_loss
            stats = dict(discriminator_loss=loss.item(), discriminator_real_loss=real_loss.item(),
                         discriminator_fake_loss=fake_loss.item())  # fmt: skip
            optim_idx = 1
        loss, stats, weight = force_gatherable((loss, stats, batch_size), loss.device)
        return dict(loss=loss, stats=stats, weight=weight, optim_idx=optim_idx)

    def collect_feats(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, **kwargs
    ) -> Dict[str, torch.Tensor]:  # fmt: skip
        """Ground-truth log-mels ``feats`` (B, T_feats, n_mels) and ``feats_lengths`` (B,)."""
        feats, feats_lengths = self.mels(speech, speech_lengths)
        return dict(feats=feats, feats_lengths=feats_lengths)

    @torch.no_grad()
    def inference(self, feats: torch.Tensor) -> torch.Tensor:
        """Log-mels (T_feats, n_mels) → waveform (T_feats × hop,)."""
        return self.generator.inference(feats.to(next(self.generator.parameters()).dtype)).view(-1)
