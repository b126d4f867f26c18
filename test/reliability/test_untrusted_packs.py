"""Packs from strangers: every hostile or damaged zip is refused before anything runs or lands outside its
folder (doc/packing.md, doc/reliability.md)."""

import hashlib
import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
import yaml

import espnet2_vc.pack as pack
from espnet2_vc import VoiceConverter
from espnet2_vc.pack import UnsafePackError, unpack_model


def repack(packed: Path, dest: Path, edit, compression: int = zipfile.ZIP_STORED) -> Path:
    """A copy of ``packed`` with members changed by ``edit(dict) -> dict`` (manifest left as is unless edited)."""
    with zipfile.ZipFile(packed) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members = edit(members)
    with zipfile.ZipFile(dest, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def with_manifest(members: dict) -> dict:
    """``members`` with a manifest that matches them (what a tamperer would write)."""
    members["manifest.json"] = json.dumps(
        {k: hashlib.sha256(v).hexdigest() for k, v in members.items() if k != "manifest.json"}).encode()
    return members


def edit_config(members: dict, **changes) -> dict:
    config = yaml.safe_load(members["vc/config.yaml"])
    config.update(changes)
    return with_manifest({**members, "vc/config.yaml": yaml.safe_dump(config).encode()})


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/espnet2_vc_pwned",))


HOSTILE = {
    "slip": (lambda m: with_manifest({**m, "../evil.txt": b"x"}), UnsafePackError, "outside the target folder"),
    "absolute": (lambda m: with_manifest({**m, "/tmp/evil.txt": b"x"}), UnsafePackError, "outside the target folder"),
    "altered": (lambda m: {**m, "vc/model.pth": m["vc/model.pth"] + b"\0"}, UnsafePackError,
                "checksum of vc/model.pth differs"),
    "unlisted": (lambda m: {**m, "extra.py": b"print(1)"}, UnsafePackError, "members not in its manifest"),
    "not_a_pack": (lambda m: {"hello.txt": b"hi"}, ValueError, "not an espnet2_vc model pack"),
    "manifest_not_json": (lambda m: {**m, "manifest.json": b"\xff{"}, UnsafePackError, "manifest.json is malformed"),
    "manifest_a_list": (lambda m: {**m, "manifest.json": b"[1, 2]"}, UnsafePackError, "must be a mapping"),
    "meta_without_files": (lambda m: with_manifest({**m, "meta.yaml": b"files: {}\nyaml_files: {}\n"}),
                           UnsafePackError, "meta.yaml must name train_config"),
    "meta_names_an_outsider": (lambda m: with_manifest({**m, "meta.yaml": yaml.safe_dump(dict(
        files={"model_file": "../../etc/passwd"}, yaml_files={"train_config": "vc/config.yaml"})).encode()}),
        UnsafePackError, "among the members"),
    "zip_bomb": (lambda m: with_manifest({**m, "stats/big.npz": b"\0" * (8 * 1024**2)}), UnsafePackError,
                 "a zip bomb"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=sorted(HOSTILE))
def test_hostile_packs_are_refused(tiny_pack, tmp_path, case):
    edit, error, message = HOSTILE[case]
    bad = repack(tiny_pack, tmp_path / "bad.zip", edit, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(error, match=message):
        unpack_model(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pth"))


def test_an_oversized_member_is_refused_before_it_is_read(tiny_pack, tmp_path, monkeypatch):
    monkeypatch.setattr(pack, "MAX_MEMBER_BYTES", 5000)
    with pytest.raises(UnsafePackError, match=r"member .vc/model.pth. would be \d+ bytes, over 5000"):
        unpack_model(tiny_pack, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_damaged_zip_is_refused(tiny_pack, tmp_path):
    data = bytearray(tiny_pack.read_bytes())
    with zipfile.ZipFile(tiny_pack) as zf:
        info = zf.getinfo("vc/model.pth")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF  # a flipped byte in the member's data: CRC or inflate fails
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    with pytest.raises(UnsafePackError, match="damaged zip|checksum"):
        unpack_model(tmp_path / "bad.zip", tmp_path / "out")


def test_pickle_payload_is_refused(tiny_pack, tmp_path):
    buf = io.BytesIO()
    torch.save({"weights": Payload()}, buf)
    bad = repack(tiny_pack, tmp_path / "bad.zip", lambda m: with_manifest({**m, "vc/model.pth": buf.getvalue()}))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        VoiceConverter.from_pretrained(bad, cache_dir=tmp_path / "out", vocoder=None)
    assert not Path("/tmp/espnet2_vc_pwned").exists()


@pytest.mark.parametrize("changes, message", [
    (dict(tts="os.system"), "--tts must be one of"),
    (dict(feats_extract="subprocess.Popen"), "--feats_extract must be one of"),
], ids=["tts_outside_the_registry", "feats_extract_outside_the_registry"])  # fmt: skip
def test_a_config_naming_a_class_outside_the_registries_is_refused(tiny_pack, tmp_path, changes, message):
    bad = repack(tiny_pack, tmp_path / "bad.zip", lambda m: edit_config(m, **changes))
    with pytest.raises(ValueError, match=message):
        VoiceConverter.from_pretrained(bad, cache_dir=tmp_path / "out", vocoder=None)


def test_a_config_with_python_tags_is_refused(tiny_pack, tmp_path):
    evil = b"tts: !!python/object/apply:os.system ['touch /tmp/espnet2_vc_pwned']\n"
    bad = repack(tiny_pack, tmp_path / "bad.zip", lambda m: with_manifest({**m, "vc/config.yaml": evil}))
    with pytest.raises(UnsafePackError, match="vc/config.yaml is malformed"):
        VoiceConverter.from_pretrained(bad, cache_dir=tmp_path / "out", vocoder=None)
    assert not Path("/tmp/espnet2_vc_pwned").exists()


def test_text_file_is_not_a_pack(tmp_path):
    (tmp_path / "model.zip").write_text("not a zip")
    with pytest.raises(ValueError, match="is not a zip file"):
        VoiceConverter.from_pretrained(tmp_path / "model.zip")
