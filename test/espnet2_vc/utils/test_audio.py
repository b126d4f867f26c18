"""The package's one audio reader: channels averaged, resampling, empty files."""

import numpy as np
import pytest
import soundfile as sf

from espnet2_vc.utils.audio import load_audio, read_audio


def test_channels_are_averaged_and_rates_resampled(tmp_path):
    stereo = np.stack([np.full(800, 0.5), np.full(800, -0.1)], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 8000, subtype="FLOAT")
    wav, rate = load_audio(tmp_path / "s.wav")
    assert rate == 8000 and wav.dtype == np.float32 and wav.shape == (800,)
    np.testing.assert_allclose(wav, 0.2, atol=1e-6)
    assert read_audio(tmp_path / "s.wav", 16000).shape == (1600,)


def test_an_empty_file_is_an_error_unless_allowed(tmp_path):
    sf.write(tmp_path / "e.wav", np.zeros(0), 8000)
    with pytest.raises(ValueError, match="e.wav: no samples"):
        load_audio(tmp_path / "e.wav")
    assert read_audio(tmp_path / "e.wav", 16000, allow_empty=True).shape == (0,)
