"""Vocos (Siuzdenko 2023) on the VC model's log-mels: a ConvNeXt backbone at frame rate, an iSTFT head.

The backbone and the head's projection are the ``vocos`` package's (``VocosBackbone``, ``ISTFTHead.out``;
MIT); this module fits them to the project's frame contract: ``T`` mel frames (frame ``t`` centred on sample ``t·hop``,
espnet's centred STFT) become exactly ``T × hop`` samples. Vocos's own "same" padding centres frame ``t`` on
sample ``t·hop + hop/2``, half a hop late; here the head inverts with a centred iSTFT cut to ``T × hop``.

With ``magnitude_prior`` the head predicts the log-magnitude as a correction to the pseudo-inverse of the mel
filterbank applied to the input mel (FreeV, Lv et al. 2024): at initialization the magnitude is the one
Griffin-Lim starts from, so a short CPU training spends its steps on the phase and the fine structure.

The discriminator pairs espnet's HiFi-GAN multi-period discriminator with espnet's multi-resolution
(multi-scale STFT) discriminator, as Vocos trains with MPD + a multi-resolution discriminator.
"""

import math
from typing import Any, Dict, List, Optional, Tuple

import torch
from typeguard import typechecked

PRIOR_FLOOR = 1e-5  # floor of the pseudo-inverse amplitude (it can be negative)
MAX_LOG_MAGNITUDE = math.log(1e3)  # ceiling (Vocos clips at 1e2; a full-scale sine at n_fft 1024 peaks at 256)


class FrameAlignedISTFT(torch.nn.Module):
    """Centred iSTFT of ``T`` frames cut to ``T × hop`` samples (frame ``t`` centred on sample ``t·hop``)."""

    def __init__(self, n_fft: int, hop_length: int) -> None:
        """Hann window of ``n_fft`` samples, hop ``hop_length``."""
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex spectrogram (B, n_fft // 2 + 1, T) → waveform (B, T × hop)."""
        return torch.istft(spec, self.n_fft, self.hop_length, self.n_fft, self.window, center=True,
                           length=spec.shape[-1] * self.hop_length)  # fmt: skip


class VocosGenerator(torch.nn.Module):
    """Log-mel (B, n_mels, T) → waveform (B, 1, T × hop): ConvNeXt blocks, then magnitude and phase per frame."""

    @typechecked
    def __init__(
        self,
        in_channels: int = 80,
        hop_length: int = 256,
        n_fft: Optional[int] = None,
        dim: int = 512,
        intermediate_dim: int = 1536,
        num_layers: int = 8,
        layer_scale_init_value: Optional[float] = None,
        magnitude_prior: bool = False,
        mel: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Build the backbone and the head.

        Args:
            in_channels: Mel bins (filled in from the VC config's ``n_mels``).
            hop_length: Samples per mel frame (filled in from the VC config).
            n_fft: FFT size of the iSTFT head (default ``4 × hop_length``, as Vocos; with ``magnitude_prior``
                the mel's ``n_fft``, which it must be).
            dim: Channels of the ConvNeXt blocks.
            intermediate_dim: Channels of their pointwise expansion.
            num_layers: ConvNeXt blocks.
            layer_scale_init_value: Initial layer scale (default ``1 / num_layers``).
            magnitude_prior: Predict the log-magnitude relative to the mel's pseudo-inverse (zero-initialized).
            mel: The VC model's mel settings (filled in from the VC config; used by ``magnitude_prior``).
        """
        super().__init__()
        from vocos.heads import ISTFTHead
        from vocos.models import VocosBackbone

        if magnitude_prior:
            if not mel:
                raise ValueError("--generator_conf magnitude_prior needs the VC config's mel settings (mel)")
            if n_fft not in (None, int(mel["n_fft"])):
                raise ValueError(f"--generator_conf n_fft={n_fft}: with magnitude_prior the iSTFT must use the mel's "
                                 f"n_fft ({mel['n_fft']}); drop n_fft")  # fmt: skip
            n_fft = int(mel["n_fft"])
        n_fft = n_fft or 4 * hop_length
        if n_fft < 2 * hop_length:
            raise ValueError(f"--generator_conf n_fft={n_fft} must be at least 2 × hop_length ({2 * hop_length}): "
                             "the iSTFT windows must overlap")  # fmt: skip
        self.backbone = VocosBackbone(input_channels=in_channels, dim=dim, intermediate_dim=intermediate_dim,
                                      num_layers=num_layers, layer_scale_init_value=layer_scale_init_value)  # fmt: skip
        self.head = ISTFTHead(dim=dim, n_fft=n_fft, hop_length=hop_length, padding="center")
        self.head.istft = FrameAlignedISTFT(n_fft, hop_length)
        self.upsample_factor = hop_length  # (checked against the VC config by the training model)
        self.n_fft = n_fft
        prior = None
        if magnitude_prior:
            from espnet2.layers.log_mel import LogMel

            melmat = LogMel(fs=int(mel["fs"]), n_fft=n_fft, n_mels=in_channels, fmin=mel.get("fmin"),
                            fmax=mel.get("fmax"), htk=bool(mel.get("htk", False))).melmat  # (n_fft/2+1, n_mels)
            prior = torch.linalg.pinv(melmat.double()).float().T.contiguous()  # (n_fft/2+1, n_mels)
            self.log_base = float(mel.get("log_base") or math.e)
            with torch.no_grad():  # the correction starts at zero: the magnitude starts at the prior
                self.head.out.weight[: n_fft // 2 + 1].zero_()
                self.head.out.bias[: n_fft // 2 + 1].zero_()
        self.register_buffer("prior", prior, persistent=False)

    @property
    def input_conv(self) -> torch.nn.Conv1d:
        """The first convolution (its ``in_channels`` are checked against the VC config's ``n_mels``)."""
        return self.backbone.embed

    def spectrum(self, c: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Log-mel (B, n_mels, T) → STFT magnitude and phase (B, n_fft // 2 + 1, T) each.

        The head's linear layer (``vocos.heads.ISTFTHead.out``) gives log-magnitude and phase, as in Vocos; with
        ``magnitude_prior`` the log-magnitude is added to the log of the mel's pseudo-inverse.
        """
        log_mag, phase = self.head.out(self.backbone(c)).transpose(1, 2).chunk(2, dim=1)
        if self.prior is not None:
            amplitude = torch.matmul(self.prior, torch.pow(self.log_base, c.float()))
            log_mag = log_mag + torch.log(amplitude.clamp(min=PRIOR_FLOOR))
        return torch.exp(log_mag.clamp(max=MAX_LOG_MAGNITUDE)), phase

    def synthesize(self, magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Magnitude and phase (B, n_fft // 2 + 1, T) → waveform (B, 1, T × hop) (the frame-aligned iSTFT)."""
        return self.head.istft(torch.polar(magnitude, phase)).unsqueeze(1)

    def analyze(self, wav: torch.Tensor) -> torch.Tensor:
        """Waveform (B, 1, T × hop) → its complex STFT at the head's resolution (B, n_fft // 2 + 1, T), frame
        ``t`` centred on sample ``t·hop`` as the head's (the spectral losses' reference, ``phase_losses``)."""
        istft = self.head.istft
        spec = torch.stft(wav.view(wav.size(0), -1).float(), istft.n_fft, istft.hop_length, istft.n_fft,
                          istft.window, center=True, return_complex=True)  # fmt: skip
        return spec[..., : wav.size(-1) // istft.hop_length]

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        """Log-mel (B, n_mels, T) → waveform (B, 1, T × hop)."""
        return self.synthesize(*self.spectrum(c))

    def inference(self, c: torch.Tensor) -> torch.Tensor:
        """Log-mel (T, n_mels) → waveform (T × hop, 1), as espnet's ``HiFiGANGenerator.inference``."""
        return self.forward(c.transpose(0, 1).unsqueeze(0)).view(-1, 1)


class MultiPeriodMultiResolutionDiscriminator(torch.nn.Module):
    """espnet's HiFi-GAN multi-period discriminator + espnet's multi-scale STFT (multi-resolution) one.

    The output is the list of both parts' sub-discriminator outputs (each a list of feature maps, logits
    last), the format of espnet's HiFi-GAN adversarial and feature-matching losses.
    """

    @typechecked
    def __init__(
        self,
        period_discriminator_params: Optional[Dict[str, Any]] = None,
        periods: Optional[List[int]] = None,
        resolution_discriminator_params: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Build both parts.

        Args:
            period_discriminator_params: ``HiFiGANPeriodDiscriminator`` options (espnet's defaults if None).
            periods: Periods of the multi-period part (default [2, 3, 5, 7, 11]).
            resolution_discriminator_params: ``MultiScaleSTFTDiscriminator`` options: ``filters`` (default
                32), ``n_ffts`` / ``hop_lengths`` / ``win_lengths`` (default 1024/256, 2048/512, 512/128), …
        """
        super().__init__()
        from espnet2.gan_codec.shared.discriminator.msstft_discriminator import MultiScaleSTFTDiscriminator
        from espnet2.gan_tts.hifigan import HiFiGANMultiPeriodDiscriminator

        mpd = dict(periods=periods or [2, 3, 5, 7, 11])
        if period_discriminator_params is not None:
            mpd["discriminator_params"] = period_discriminator_params
        self.period = HiFiGANMultiPeriodDiscriminator(**mpd)
        self.resolution = MultiScaleSTFTDiscriminator(**{"filters": 32, **(resolution_discriminator_params or {})})

    def forward(self, x: torch.Tensor) -> List[List[torch.Tensor]]:
        """Waveform (B, 1, T_wav) → outputs of every sub-discriminator (lists of tensors, logits last)."""
        return self.period(x) + self.resolution(x)
