"""Packing a trained model into one zip, and unpacking a zip safely.

Layout of a pack (``meta.yaml`` is espnet's ``pack_funcs`` format, so espnet's own ``unpack`` reads it too)::

    meta.yaml        files / yaml_files: key → member name; versions
    manifest.json    sha256 of every other member
    README.md        mel settings, speakers, metrics
    vc/config.yaml   training config, stats paths rewritten to members
    vc/model.pth     weights (a plain state dict)
    vc/spk2sid       speaker name → id of a many-to-many model (VoiceConverter(..., src_spk=, tgt_spk=))
    stats/*.npz      normalization statistics
    vocoder/…        vocoder config and weights, when packed

Unpacking refuses members that would land outside the target folder (``../``, absolute paths, links), files
whose checksum differs from the manifest, members the manifest does not list, members larger than
:data:`MAX_MEMBER_BYTES` or compressed more than :data:`MAX_RATIO` times (zip bombs), a malformed manifest or
meta, and zips that are not packs. The manifest detects corruption, not tampering: whoever alters a member can
rewrite its checksum too, so a pack is as trustworthy as the place it came from.
"""

import hashlib
import json
import stat
import sys
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Dict, Optional, Union

import yaml
from espnet2.main_funcs.pack_funcs import find_path_and_change_it_recursive

from espnet2_vc.utils.config import mel_config

PathLike = Union[str, Path]
NOT_A_PACK = "is not an espnet2_vc model pack (no meta.yaml/manifest.json); make one with vc_pack"


# Limits of one member, read from the zip's directory before anything is decompressed. A NARS2S or HiFi-GAN
# checkpoint is 30-60 MB and deflates at most ~1.1×; yaml, markdown and stats are small.
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_RATIO = 100
MIN_RATIO_CHECK_BYTES = 1024**2  # below this a high ratio is harmless (a yaml of repeated keys)


class UnsafePackError(ValueError):
    """A pack that must not be extracted or trusted."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stats_files(config: Dict[str, Any]) -> Dict[str, str]:
    """``<name>_conf.stats_file`` of every normalization in a VC config: option → path."""
    return {
        key: conf["stats_file"]
        for key, conf in config.items()
        if key.endswith("normalize_conf") and isinstance(conf, dict) and conf.get("stats_file")
    }


def readme_text(config: Dict[str, Any], results_md: Optional[str], spk2sid: Optional[str]) -> str:
    """The README of a pack: mel settings, network, speakers and metrics."""
    mel = mel_config(config)
    lines = ["# espnet2_vc model", "", "Load it with:", "", "```python",
             "from espnet2_vc import VoiceConverter", 'vc = VoiceConverter.from_pretrained("model.zip")',
             "out = vc(wav, fs)  # out['wav'] at vc.fs, out['feat_gen_denorm'] (T, n_mels)", "```", "",
             "## Mel settings (a vocoder must use exactly these)", "", "| key | value |", "| --- | --- |"]  # fmt: skip
    lines += [f"| {k} | {v} |" for k, v in mel.items()]
    tts_conf = config.get("tts_conf") or {}
    network = f"`{config.get('tts')}` with reduction factor {tts_conf.get('reduction_factor', 1)}"
    lines += ["", "## Network", "", network]
    if spk2sid:
        speakers = Path(spk2sid).read_text(encoding="utf-8").strip()
        lines += ["", "## Speakers (name → id)", "", "```", speakers, "```"]
    if results_md:
        lines += ["", "## Metrics", "", Path(results_md).read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"


def pack_model(
    train_config: PathLike,
    model_file: PathLike,
    outpath: PathLike,
    vocoder_config: Optional[PathLike] = None,
    vocoder_file: Optional[PathLike] = None,
    results_md: Optional[PathLike] = None,
    spk2sid: Optional[PathLike] = None,
) -> Path:
    """Write one zip with everything needed to convert speech; see the module docstring for the layout."""
    config = yaml.safe_load(Path(train_config).read_text(encoding="utf-8"))
    members: Dict[str, bytes] = {}
    renames: Dict[str, str] = {}  # original path → member name, for rewriting yaml values
    for option, path in _stats_files(config).items():
        name = f"stats/{Path(path).name}"
        if name in members:
            name = f"stats/{option}_{Path(path).name}"
        members[name] = Path(path).read_bytes()
        renames[str(path)] = name
    members["vc/model.pth"] = Path(model_file).read_bytes()
    files, yaml_files = {"model_file": "vc/model.pth"}, {"train_config": "vc/config.yaml"}
    if spk2sid is not None:  # beside vc/config.yaml, where VoiceConverter looks for it
        members["vc/spk2sid"] = Path(spk2sid).read_bytes()
        files["spk2sid"] = "vc/spk2sid"
    renames[str(train_config)] = "vc/config.yaml"
    if vocoder_file is not None:
        if vocoder_config is None:
            raise ValueError("a vocoder file needs its config (--vocoder_config)")
        members["vocoder/model.pth"] = Path(vocoder_file).read_bytes()
        files["vocoder_file"] = "vocoder/model.pth"
        yaml_files["vocoder_config"] = "vocoder/config.yaml"
        renames[str(vocoder_config)] = "vocoder/config.yaml"
    for key, name in yaml_files.items():
        source = train_config if key == "train_config" else vocoder_config
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        for original, member in renames.items():
            data = find_path_and_change_it_recursive(data, original, member)
        members[name] = yaml.safe_dump(data, sort_keys=False).encode()
    members["README.md"] = readme_text(config, results_md and str(results_md), spk2sid and str(spk2sid)).encode()
    meta = dict(files=files, yaml_files=yaml_files, timestamp=datetime.now().timestamp(), python=sys.version)
    for module in ("torch", "espnet", "espnet2_vc"):
        meta[module] = str(getattr(sys.modules.get(module) or __import__(module), "__version__", "unknown"))
    members["meta.yaml"] = yaml.safe_dump(meta).encode()
    members["manifest.json"] = json.dumps({k: _sha256(v) for k, v in sorted(members.items())}, indent=1).encode()
    outpath = Path(outpath)
    outpath.parent.mkdir(parents=True, exist_ok=True)
    tmp = outpath.with_name(outpath.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    tmp.replace(outpath)
    return outpath


def _safe_member(info: zipfile.ZipInfo, outdir: Path) -> Path:
    """Where a member may be extracted, or :class:`UnsafePackError`."""
    name = info.filename
    if info.file_size > MAX_MEMBER_BYTES:
        raise UnsafePackError(f"member {name!r} would be {info.file_size} bytes, over {MAX_MEMBER_BYTES}; refusing "
                              "the pack")  # fmt: skip
    if info.file_size > MIN_RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise UnsafePackError(f"member {name!r} inflates {info.file_size / max(info.compress_size, 1):.0f}× (over "
                              f"{MAX_RATIO}×): a zip bomb; refusing the pack")  # fmt: skip
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafePackError(f"member {name!r} is a link; refusing the pack")
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise UnsafePackError(f"member {name!r} would be written outside the target folder; refusing the pack")
    target = (outdir / Path(*pure.parts)).resolve()
    if not target.is_relative_to(outdir.resolve()):
        raise UnsafePackError(f"member {name!r} would be written outside {outdir}; refusing the pack")
    return target


def unpack_model(archive: PathLike, outdir: PathLike) -> Dict[str, str]:
    """Check and extract a pack; return ``train_config``, ``model_file`` (and vocoder) paths.

    Raises:
        UnsafePackError: zip-slip paths, links, checksum mismatches, unlisted or oversized members, a malformed
            manifest or meta, a damaged zip.
        ValueError: a zip that is not a pack.
    """
    archive, outdir = Path(archive), Path(outdir)
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"{archive} is not a zip file; {NOT_A_PACK}")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            targets = {i.filename: _safe_member(i, outdir) for i in infos}
            if "meta.yaml" not in targets or "manifest.json" not in targets:
                raise ValueError(f"{archive} {NOT_A_PACK}")
            manifest = _parsed(archive, "manifest.json", lambda b: json.loads(b), zf.read("manifest.json"))
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()):
                raise UnsafePackError(f"{archive}: manifest.json must map member names to sha256 strings")
            unlisted = sorted(set(targets) - set(manifest) - {"manifest.json"})
            missing = sorted(set(manifest) - set(targets))
            if unlisted or missing:
                raise UnsafePackError(f"{archive}: members not in its manifest {unlisted}, missing members {missing}")
            data = {name: zf.read(name) for name in targets}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError) as e:  # CRC, …
        raise UnsafePackError(f"{archive}: a damaged zip ({type(e).__name__}: {e}); download or copy it again") from e
    for name, content in data.items():
        if name != "manifest.json" and _sha256(content) != manifest[name]:
            raise UnsafePackError(f"{archive}: checksum of {name} differs from the manifest; the pack was altered")
    meta = _parsed(archive, "meta.yaml", yaml.safe_load, data["meta.yaml"])
    named = {**(meta.get("files") or {}), **(meta.get("yaml_files") or {})}
    if "train_config" not in named or not all(isinstance(v, str) and v in targets for v in named.values()):
        raise UnsafePackError(f"{archive}: meta.yaml must name train_config and its other files among the members")
    for name, content in data.items():
        targets[name].parent.mkdir(parents=True, exist_ok=True)
        if name in (meta.get("yaml_files") or {}).values():
            conf = _parsed(archive, name, yaml.safe_load, content)
            for member in targets:
                conf = find_path_and_change_it_recursive(conf, member, str(targets[member]))
            content = yaml.safe_dump(conf, sort_keys=False).encode()
        targets[name].write_bytes(content)
    return {k: str(targets[v]) for k, v in named.items()}


def _parsed(archive: Path, name: str, parse: Any, content: bytes) -> Dict[str, Any]:
    """``parse(content)`` as a mapping, or :class:`UnsafePackError` naming the member."""
    try:
        value = parse(content)
    except (ValueError, yaml.YAMLError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UnsafePackError(f"{archive}: {name} is malformed ({type(e).__name__}); refusing the pack") from None
    if not isinstance(value, dict):
        raise UnsafePackError(f"{archive}: {name} must be a mapping, not {type(value).__name__}")
    return value

