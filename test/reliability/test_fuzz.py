"""Property-based fuzzing (hypothesis) of what a stranger can hand us: zips, configs, scp files, arrays.
Each input is either accepted or refused with a clean error (a ``ValueError`` naming it); nothing crashes
with another exception and nothing is written outside the target folder."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from espnet2_vc.pack import unpack_model
from espnet2_vc.utils.audio import AudioError, as_waveform
from espnet2_vc.utils.config import load_saved_args
from espnet2_vc.utils.kaldi import read_kaldi

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def fresh(tmp_path: Path, name: str) -> Path:
    """A new empty folder for one example (hypothesis reuses the test's tmp_path)."""
    folder = tmp_path / name
    n = 0
    while (folder.parent / f"{folder.name}{n}").exists():
        n += 1
    folder = folder.parent / f"{folder.name}{n}"
    folder.mkdir()
    return folder


def written(path: Path, content) -> Path:
    """``path`` holding ``content``: bytes as they are, text as UTF-8 (lone surrogates too)."""
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def accepted_or_refused(call) -> None:
    try:
        call()
    except ValueError:  # UnsafePackError, AudioError and the readers' errors are ValueErrors
        pass


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_are_not_a_pack(tmp_path, data):
    work = fresh(tmp_path, "bytes")
    (work / "model.zip").write_bytes(data)
    with pytest.raises(ValueError):
        unpack_model(work / "model.zip", work / "out")


@FUZZ
@example(flips=[(0.999, 1)], cut=None)  # deflate data that zlib refuses (zlib.error): found by this test
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.floats(0.05, 1)))  # fmt: skip
def test_a_damaged_pack_is_refused_or_unpacks_inside_its_folder(tiny_pack, tmp_path, flips, cut):
    work = fresh(tmp_path, "pack")
    data = bytearray(tiny_pack.read_bytes())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    (work / "model.zip").write_bytes(bytes(data))
    accepted_or_refused(lambda: unpack_model(work / "model.zip", work / "out"))
    written = {p.resolve() for p in work.rglob("*")}
    assert all(p.is_relative_to(work.resolve()) for p in written)


@FUZZ
@given(members=st.dictionaries(st.sampled_from(["meta.yaml", "manifest.json", "vc/config.yaml", "../x", "a/../../y",
                                                "vc/model.pth", "/abs", "c:/w"]),
                               st.binary(max_size=64), max_size=6))  # fmt: skip
def test_a_zip_of_odd_members_is_refused_cleanly(tmp_path, members):
    work = fresh(tmp_path, "zip")
    with zipfile.ZipFile(work / "model.zip", "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    accepted_or_refused(lambda: unpack_model(work / "model.zip", work / "out"))
    assert not (tmp_path.parent / "x").exists() and not Path("/abs").exists()


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_a_malformed_config_is_refused_cleanly(tmp_path, text):
    path = written(fresh(tmp_path, "conf") / "config.yaml", text)
    accepted_or_refused(lambda: load_saved_args(path, None))


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_a_malformed_scp_is_read_or_refused_cleanly(tmp_path, text):
    path = written(fresh(tmp_path, "scp") / "wav.scp", text)
    accepted_or_refused(lambda: read_kaldi(path, require_value=True))


@FUZZ
@given(shape=st.lists(st.integers(0, 12), max_size=3),
       dtype=st.sampled_from(["float32", "float64", "int16", "int32", "uint8", "bool", "complex64"]),
       fill=st.sampled_from([0.5, np.nan, np.inf, -2.0]))  # fmt: skip
def test_any_array_is_a_waveform_or_an_audio_error(shape, dtype, fill):
    wav = np.full(shape, fill if np.dtype(dtype).kind in "fc" else 1, dtype=dtype)
    try:
        out = as_waveform(wav)
    except AudioError as e:
        assert e.reason in {"no_samples", "non_finite", "shape", "dtype"}
        return
    assert out.dtype == np.float32 and out.ndim == 1 and out.size > 0 and np.isfinite(out).all()
