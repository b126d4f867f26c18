"""Mel-setting, upsampling, audio-scale and GTA frame checks: each mismatch is refused with its message."""

import numpy as np
import pytest
import soundfile as sf

from espnet2_vc.vocoder.checks import (
    MEL_LOSS_KEYS,
    UtteranceCheck,
    check_feats_frames,
    check_saved_mel,
    check_upsampling,
    check_wav_peaks,
    fill_mel_conf,
)

MEL = dict(fs=16000, n_fft=1024, win_length=1024, hop_length=256, window="hann", center=True, n_mels=80, fmin=80,
           fmax=7600, htk=False, log_base=10.0)  # fmt: skip
LOSS_KEYS = {k: k for k in MEL_LOSS_KEYS}


@pytest.mark.parametrize(
    "key, value",
    [("fs", 22050), ("n_fft", 2048), ("hop_length", 200), ("fmin", 0), ("fmax", None), ("n_mels", 40),
     ("log_base", None), ("win_length", 800)],
)  # fmt: skip
def test_stated_mel_setting_refused(key, value):
    """A vocoder config stating its own mel setting (here in the mel loss params) must agree with the VC one."""
    with pytest.raises(ValueError, match=rf"--model_conf mel_loss_params: {key}=.* differ from the mel settings "
                                         r"of the VC config vc\.yaml"):  # fmt: skip
        fill_mel_conf({key: value}, MEL, LOSS_KEYS, "model_conf mel_loss_params", "vc.yaml")


def test_equal_settings_are_filled_in():
    """Equal values (also in another spelling: 7600.0, win_length null = n_fft) pass; the rest is filled in."""
    conf = fill_mel_conf({"fmax": 7600.0, "win_length": None, "fs": "16k"}, MEL, LOSS_KEYS, "x", "vc.yaml")
    assert conf == {k: MEL[k] for k in MEL_LOSS_KEYS}


def test_generator_in_channels():
    with pytest.raises(ValueError, match=r"--generator_conf: in_channels=20 \(VC: n_mels=80\)"):
        fill_mel_conf({"in_channels": 20}, MEL, {"in_channels": "n_mels"}, "generator_conf", "vc.yaml")
    assert fill_mel_conf({}, MEL, {"in_channels": "n_mels"}, "generator_conf", "vc.yaml") == {"in_channels": 80}


@pytest.mark.parametrize("scales, hop, ok", [([8, 8, 2, 2], 256, True), ([8, 8, 4], 256, True),
                                             ([8, 8, 2], 256, False), ([8, 8, 2, 2], 300, False)])  # fmt: skip
def test_upsampling_must_equal_hop(scales, hop, ok):
    if ok:
        check_upsampling(scales, hop)
    else:
        with pytest.raises(ValueError, match=rf"upsample_scales .* multiply to \d+, but the VC config's hop_length "
                                             rf"is {hop}"):  # fmt: skip
            check_upsampling(scales, hop)


@pytest.mark.parametrize("key, value", [("fs", 22050), ("hop_length", 300), ("n_mels", 40), ("fmax", 8000),
                                        ("log_base", None), ("htk", True)])  # fmt: skip
def test_saved_mel_differs_at_decoding(key, value):
    saved = dict(MEL, **{key: value})
    with pytest.raises(ValueError, match=rf"voc/config\.yaml: the vocoder was trained on other mels .*{key}: "):
        check_saved_mel(saved, MEL, "voc/config.yaml")
    check_saved_mel(dict(MEL), MEL, "voc/config.yaml")


def test_saved_mel_missing():
    with pytest.raises(ValueError, match="no 'mel' settings saved"):
        check_saved_mel(None, MEL, "voc/config.yaml")


def write_scp(tmp_path, wavs, subtype):
    lines = []
    for i, wav in enumerate(wavs):
        path = tmp_path / f"u{i}.wav"
        sf.write(path, wav, 16000, subtype=subtype)
        lines.append(f"u{i} {path}\n")
    (tmp_path / "wav.scp").write_text("".join(lines))
    return str(tmp_path / "wav.scp")


SPEECH = 0.3 * np.sin(np.linspace(0, 400, 8000)).astype(np.float32)


@pytest.mark.parametrize(
    "scale, subtype, message",
    [(32768.0, "FLOAT", r"u0\.wav \(utterance u0 of .*wav\.scp, read as 'sound'\): peak 9830 > 1\.0: samples "
                        r"outside \[-1, 1\], i\.e\. int16 values read as floats"),
     (1 / 32768, "FLOAT", r"u0\.wav \(utterance u0 .*\): peak 9\.16e-06 < 0\.001: near-silent target")],
)  # fmt: skip
def test_wav_scale_refused(tmp_path, scale, subtype, message):
    """The int16-vs-float trap: int16 values stored as floats, or audio scaled down twice; the file is named."""
    scp = write_scp(tmp_path, [SPEECH * scale, SPEECH], subtype)
    with pytest.raises(ValueError, match=message):
        check_wav_peaks(scp, "sound")


def test_wav_scale_accepted(tmp_path):
    peaks = check_wav_peaks(write_scp(tmp_path, [SPEECH, 0.5 * SPEECH], "PCM_16"), "sound")
    assert peaks == pytest.approx([0.3, 0.15], abs=1e-3)


@pytest.mark.parametrize("frames, n_mels", [(33, 80), (31, 80), (32, 40)])
def test_gta_frames_refused(frames, n_mels):
    """GTA feats must have 1 + n_samples // hop frames of n_mels bins; the message names the utterance."""
    with pytest.raises(ValueError, match=rf"utt7: GTA feats have shape \({frames}, {n_mels}\), but its target "
                                         r"speech of 8000 samples needs \(32, 80\)"):  # fmt: skip
        check_feats_frames("utt7", 8000, (frames, n_mels), 256, 80)
    check_feats_frames("utt7", 8000, (32, 80), 256, 80)


def test_preprocess_checks_each_utterance():
    check = UtteranceCheck(256, 80)
    data = {"speech": np.zeros(8000, np.float32), "feats": np.zeros((32, 80), np.float32)}
    assert check("a", data) is data
    with pytest.raises(ValueError, match="b: GTA feats"):
        check("b", {"speech": np.zeros(8000, np.float32), "feats": np.zeros((31, 80), np.float32)})
    assert "feats" not in check("c", {"speech": np.zeros(10, np.float32)})
