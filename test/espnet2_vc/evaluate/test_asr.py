import os

import pytest

from espnet2_vc.evaluate.asr import normalize_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Lord, but I'm glad to see you again, Phil.", "lord but i'm glad to see you again phil"),
        ("  'Well-known'  -- PHIL'S! ", "well known phil's"),
        ("...", ""),
    ],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


def test_error_counts():
    pytest.importorskip("jiwer")
    from espnet2_vc.evaluate.asr import error_counts

    res = error_counts("The cat, sat down.", "the hat sat down town")
    assert res["ref_words"] == 4 and res["word_errors"] == 2  # a substitution and an insertion
    assert res["wer"] == pytest.approx(0.5)
    assert res["cer"] == pytest.approx(res["char_errors"] / len("the cat sat down"))
    empty = error_counts("the cat", "")
    assert empty["wer"] == 1.0 and empty["cer"] == 1.0
    assert error_counts("the cat", "The cat.")["wer"] == 0.0
    with pytest.raises(ValueError, match="empty reference"):
        error_counts("!", "a")


def test_pocketsphinx_on_arctic(arctic_dir):
    pytest.importorskip("pocketsphinx")
    pytest.importorskip("jiwer")
    from espnet2_vc.evaluate.asr import Recognizer, error_counts
    from espnet2_vc.utils.audio import load_audio as load_wav

    wav, fs = load_wav(os.path.join(arctic_dir, "cmu_us_kathleen_arctic", "wav", "arctic_a0004.flac"))
    hyp = Recognizer().transcribe(wav, fs)
    assert error_counts("Lord, but I'm glad to see you again, Phil.", hyp)["wer"] < 0.4, hyp
