import math

import numpy as np
import pytest

from espnet2_vc.evaluate.mcd import MCD_SCALE, MetricError, align, frame_mcd, mel_cepstral_distortion
from espnet2_vc.evaluate.world import WorldSettings, analyze

FS = 16000
SETTINGS = WorldSettings(f0_method="dio")


@pytest.fixture(scope="module")
def reference(speechlike):
    return analyze(speechlike(), FS, SETTINGS)


def test_frame_mcd_formula():
    a = np.zeros((2, 5))
    b = np.zeros((2, 5))
    b[0, 0] = 7.0  # c0 is left out
    b[1, 1:3] = [1.0, 1.0]
    np.testing.assert_allclose(frame_mcd(a, b), [0.0, 10 / math.log(10) * math.sqrt(2 * 2.0)])
    assert MCD_SCALE == pytest.approx(6.1418, abs=1e-4)


def test_self_is_zero(reference):
    alignment = align(reference, reference, -20.0)
    assert alignment.mcd < 1e-5
    np.testing.assert_array_equal(alignment.path[:, 0], alignment.path[:, 1])  # the identity path
    assert alignment.n_speech[0] == alignment.n_speech[1] == len(alignment.path)


def test_gain_and_silence_padding_do_not_count(speechlike, reference):
    quiet = analyze(0.2 * speechlike(), FS, SETTINGS)
    assert mel_cepstral_distortion(quiet, reference) < 0.01  # c0 excluded
    padded = analyze(speechlike(pad_s=(0.3, 0.5)), FS, SETTINGS)
    assert padded.n_frames > reference.n_frames + 150
    assert mel_cepstral_distortion(padded, reference) < 0.5  # the silent frames are dropped


def test_different_spectra_are_far(speechlike, reference):
    shifted_formants = analyze(speechlike(formant_scale=1.2), FS, SETTINGS)
    other = analyze(speechlike(seed=3), FS, SETTINGS)
    assert 3.0 < mel_cepstral_distortion(shifted_formants, reference) < mel_cepstral_distortion(other, reference)


def test_alignment_errors(speechlike, reference):
    at_8k = analyze(speechlike(fs=8000), 8000, SETTINGS)
    with pytest.raises(MetricError, match="analysis mismatch"):
        align(at_8k, reference, -20.0)
    with pytest.raises(MetricError, match="silence threshold"):
        align(reference, reference, 100.0)
