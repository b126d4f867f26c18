"""A vocoder trained by ``vocoder_train`` as a decoding vocoder: ``vc_inference --vocoder hifigan|vocos``."""

from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch

from espnet2_vc.utils.config import load_config
from espnet2_vc.vocoder.abs_vocoder import AbsVocoder
from espnet2_vc.vocoder.checks import check_saved_mel


def trained_generator(config_file: Union[str, Path]) -> str:
    """The ``--generator`` a ``vocoder_train`` config was trained with (its name in the decoding registry)."""
    return str(load_config(config_file).get("generator") or "hifigan")


class TrainedVocoder(AbsVocoder):
    """The generator of a trained vocoder, refused when it was trained on other mels than the VC model's."""

    generator_name = ""  # the ``--generator`` of vocoder_train this entry decodes

    def __init__(
        self,
        mel: Dict[str, Any],
        model_file: Union[str, Path],
        config_file: Optional[Union[str, Path]] = None,
        device: str = "cpu",
    ) -> None:
        """Load the generator alone, strictly (``weights_only``), after checking the saved mel settings and name.

        Args:
            mel: The VC model's mel settings (``espnet2_vc.utils.config.mel_config``).
            model_file: ``exp/<voc>/<checkpoint>.pth`` written by ``vocoder_train``.
            config_file: Its ``config.yaml`` (default: next to ``model_file``).
            device: ``cpu`` or ``cuda``.

        Raises:
            ValueError: the vocoder's saved mel settings differ from ``mel``, or it is another generator.
        """
        from espnet2_vc.tasks.vocoder_model import generator_from_file

        config_file = Path(config_file) if config_file else Path(model_file).parent / "config.yaml"
        check_saved_mel(load_config(config_file).get("mel"), mel, str(config_file))
        trained = trained_generator(config_file)
        if trained != self.generator_name:
            raise ValueError(f"{config_file}: this vocoder was trained with --generator {trained}; decode it with "
                             f"--vocoder {trained}, not --vocoder {self.generator_name}")  # fmt: skip
        self.generator = generator_from_file(config_file, model_file, device).eval()
        if hasattr(self.generator, "remove_weight_norm"):
            self.generator.remove_weight_norm()
        self.device = device
        self.hop_length = int(mel["hop_length"])

    @torch.no_grad()
    def __call__(self, feats: torch.Tensor) -> torch.Tensor:
        """Log-mel (T_feats, n_mels) of the VC config → waveform (T_feats × hop_length,)."""
        return self.generator.inference(feats.detach().float().to(self.device)).view(-1)


class HiFiGANVocoder(TrainedVocoder):
    """A trained HiFi-GAN (espnet's ``HiFiGANGenerator``)."""

    generator_name = "hifigan"


class VocosVocoder(TrainedVocoder):
    """A trained Vocos (``espnet2_vc.vocoder.vocos.VocosGenerator``)."""

    generator_name = "vocos"
