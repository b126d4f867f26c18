"""Data dirs as users make them by hand: duplicated, unsorted or unpaired ids, durations that do not fit."""

import pytest
import torch

from espnet2_vc.bin import vc_dump
from espnet2_vc.utils.kaldi import read_kaldi

from .test_bad_audio import FS, write_pairs


def dump(data, out, tiny_exp):
    vc_dump.main(["--data_dir", str(data), "--output_dir", str(out), "--fs", str(FS), "--nj", "1",
                  "--vc_config", str(tiny_exp / "config.yaml"), "--min_dur", "0.1"])  # fmt: skip


def test_a_duplicated_id_is_an_error_naming_the_file_and_line(tmp_path, tiny_exp):
    data = write_pairs(tmp_path, {})
    lines = (data / "wav.scp").read_text().splitlines()
    (data / "wav.scp").write_text("\n".join(lines + [lines[0]]) + "\n")
    with pytest.raises(SystemExit, match=r"wav.scp:5: duplicate utterance id u0"):
        dump(data, tmp_path / "dump", tiny_exp)
    assert not (tmp_path / "dump").exists()


def test_unsorted_files_are_read_and_written_sorted(tmp_path, tiny_exp):
    data = write_pairs(tmp_path, {})
    for name in ("wav.scp", "utt2spk"):
        lines = (data / name).read_text().splitlines()
        (data / name).write_text("\n".join(reversed(lines)) + "\n")
    dump(data, tmp_path / "dump", tiny_exp)
    keys = [line.split()[0] for line in (tmp_path / "dump" / "wav.scp").read_text().splitlines()]
    assert keys == ["u0", "u1", "u2", "u3"]


def test_a_source_without_its_target_is_dropped_with_the_reason(tmp_path, tiny_exp):
    data = write_pairs(tmp_path, {})
    lines = (data / "tgt_wav.scp").read_text().splitlines()
    (data / "tgt_wav.scp").write_text("\n".join(lines[1:]) + "\n")
    dump(data, tmp_path / "dump", tiny_exp)
    assert read_kaldi(tmp_path / "dump" / "dropped") == {"u0": "id_mismatch: missing from tgt_wav.scp"}


def test_durations_that_do_not_fit_name_the_utterance_and_the_stage_to_rerun(tiny_exp):
    from espnet2_vc.tasks.vc import VCTask

    model, _ = VCTask.build_model_from_file(tiny_exp / "config.yaml", tiny_exp / "valid.loss.best.pth")
    wav = torch.randn(1, FS) * 0.1
    with pytest.raises(ValueError, match=r"utt_a: durations have 3 values summing to 6.*vc.sh stage 4"):
        model(src_speech=wav, src_speech_lengths=torch.tensor([FS]), tgt_speech=wav,
              tgt_speech_lengths=torch.tensor([FS]), durations=torch.tensor([[2, 2, 2]]),
              durations_lengths=torch.tensor([3]), utt_id=["utt_a"])  # fmt: skip


def test_dumped_pitch_of_another_length_than_its_mel_names_the_utterance(tiny_exp):
    from espnet2_vc.tasks.vc import VCTask

    model, _ = VCTask.build_model_from_file(tiny_exp / "config.yaml", tiny_exp / "valid.loss.best.pth")
    feats = torch.zeros(1, 50, 20)
    with pytest.raises(ValueError, match=r"utt_b: dumped pitch has 48 frames but tgt_feats has 50.*redo stage 3"):
        model(src_feats=feats, src_feats_lengths=torch.tensor([50]), tgt_feats=feats,
              tgt_feats_lengths=torch.tensor([50]), pitch=torch.zeros(1, 48, 1), pitch_lengths=torch.tensor([48]),
              utt_id=["utt_b"])  # fmt: skip
