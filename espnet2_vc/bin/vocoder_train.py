#!/usr/bin/env python3
"""Train a HiFi-GAN vocoder on a VC model's mels (ground truth, or GTA mels for fine-tuning); see doc/vocoder.md."""

from typing import List, Optional

from espnet2_vc.tasks.vocoder import VocoderTask


def get_parser():
    """The argument parser, for documentation tools."""
    return VocoderTask.get_parser()


def main(cmd: Optional[List[str]] = None) -> None:
    """Run ``VocoderTask.main``; see ``--help``.

    Example:
        python -m espnet2_vc.bin.vocoder_train --config conf/vocoder_hifigan.yaml \
            --vc_config exp/vc_train/config.yaml --output_dir exp/voc_gt \
            --train_data_path_and_name_and_type dump/raw/train/tgt_wav.scp,speech,sound ...
        # fine-tuning on GTA mels: the same, plus --init_param exp/voc_gt/<ckpt>.pth and
        #     --train_data_path_and_name_and_type <gta>/denorm/feats.scp,feats,kaldi_ark
    """
    VocoderTask.main(cmd=cmd)  # checkpoints saved atomically (main_worker: every process, spawned ones too)


if __name__ == "__main__":
    main()
