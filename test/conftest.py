"""Test-wide settings: one thread per process (CI has 2 cores) and shared fixtures."""

import os
import shutil
from pathlib import Path
from typing import Iterable, Tuple

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
SHARED_ARCTIC = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "arctic")


@pytest.fixture(scope="session")
def arctic_dir() -> str:
    """The shared real ARCTIC pairs, or a skip when this machine does not have them."""
    path = os.path.abspath(os.environ.get("ESPNET2_VC_ARCTIC", SHARED_ARCTIC))
    if not os.path.isdir(os.path.join(path, "cmu_us_kathleen_arctic")):
        pytest.skip(f"real ARCTIC pairs not found at {path}")
    return path


def make_tiny_exp(root: Path, spks: int = 0) -> Path:
    """A tiny trained-looking experiment at 8 kHz in ``root``: ``config.yaml`` with stats files,
    ``valid.loss.best.pth`` (random weights; n_fft 256, hop 80, 20 mels, NARS2S with r = 2, no pitch / energy);
    with ``spks`` > 1 a many-to-many one and its ``spk2sid`` (speakers ``spk0`` … ``spk<spks-1>``)."""
    import numpy as np
    import yaml

    from espnet2_vc.tasks.vc import VCTask

    args = VCTask.get_parser().parse_args(["--output_dir", str(root)])
    args.feats_extract_conf = dict(fs=8000, n_fft=256, hop_length=80, n_mels=20, fmin=0, fmax=4000)
    args.tts_conf = dict(adim=8, aheads=2, elayers=1, eunits=8, dlayers=1, dunits=8, postnet_layers=1,
                         postnet_chans=4, reduction_factor=2, use_pitch=False, use_energy=False)  # fmt: skip
    if spks > 1:
        args.tts_conf["spks"] = spks
        (root / "spk2sid").write_text("".join(f"spk{i} {i}\n" for i in range(spks)))
    rng = np.random.default_rng(0)
    for name in ("normalize", "tgt_normalize"):
        stats = root / "stats" / f"{name}.npz"
        stats.parent.mkdir(exist_ok=True)
        x = rng.normal(-3.0, 1.5, size=(50, 20))
        np.savez(stats, count=50, sum=x.sum(0), sum_square=(x**2).sum(0))
        setattr(args, f"{name}_conf", dict(stats_file=str(stats)))
    torch.manual_seed(0)
    model = VCTask.build_model(args)
    torch.save(model.state_dict(), root / "valid.loss.best.pth")
    with open(root / "config.yaml", "w") as f:
        yaml.safe_dump(vars(args), f)
    return root


@pytest.fixture(scope="session")
def tiny_exp(tmp_path_factory):
    """:func:`make_tiny_exp`: one pair."""
    return make_tiny_exp(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="session")
def tiny_m2m_exp(tmp_path_factory):
    """:func:`make_tiny_exp` of a many-to-many model of three speakers (``spk0``, ``spk1``, ``spk2``)."""
    return make_tiny_exp(tmp_path_factory.mktemp("m2m_exp"), spks=3)


@pytest.fixture(scope="session")
def tiny_pack(tiny_exp):
    """:func:`tiny_exp` packed by ``vc_pack`` into ``<tiny_exp>/packed/model.zip``, with a results.md."""
    from espnet2_vc.bin import vc_pack

    results = tiny_exp / "results.md"
    results.write_text("| metric | value |\n| --- | --- |\n| MCD | 7.1 |\n")
    out = tiny_exp / "packed" / "model.zip"
    vc_pack.main(["--train_config", str(tiny_exp / "config.yaml"), "--model_file",
                  str(tiny_exp / "valid.loss.best.pth"), "--outpath", str(out), "--results_md", str(results)])
    return out


@pytest.fixture(scope="session")
def recipe_copy():
    """``make(root, corpus="mini_flite")``: a copy of ``egs/<corpus>/vc1`` in ``root`` whose shared parts link to
    egs/TEMPLATE (its outputs stay in ``root``)."""
    template = ROOT / "egs" / "TEMPLATE" / "vc1"

    def make(root: Path, corpus: str = "mini_flite") -> Path:
        recipe = root / "egs" / corpus / "vc1"
        recipe.mkdir(parents=True)
        for name in ("vc.sh", "path.sh", "scripts", "utils"):
            (recipe / name).symlink_to(template / name)
        for name in ("local", "conf"):
            shutil.copytree(ROOT / "egs" / corpus / "vc1" / name, recipe / name)
        return recipe

    return make


@pytest.fixture(scope="session")
def write_pairs():
    """``write(root, pairs, fs, hop, r)``: a tiny parallel data dir from ``(utt, source, target)`` waveforms.

    Writes ``<utt>_src.wav`` / ``<utt>_tgt.wav``, ``wav.scp``, ``tgt_wav.scp``, ``tgt_utt2num_samples`` and
    ``durations``: each of the ``(1 + len(src) // hop) // r`` reduced source frames gets an even share of the
    ``ceil((1 + len(tgt) // hop) / r)`` reduced target frames."""
    import math

    import numpy as np
    import soundfile as sf

    def write(root: Path, pairs: Iterable[Tuple[str, np.ndarray, np.ndarray]], fs: int, hop: int, r: int) -> None:
        names = ("wav.scp", "tgt_wav.scp", "tgt_utt2num_samples", "durations")
        lines = {name: [] for name in names}
        for utt, x, y in pairs:
            sf.write(root / f"{utt}_src.wav", x, fs)
            sf.write(root / f"{utt}_tgt.wav", y, fs)
            ns, nt = (1 + len(x) // hop) // r, math.ceil((1 + len(y) // hop) / r)
            d = np.full(ns, nt // ns)
            d[: nt - d.sum()] += 1
            lines["wav.scp"].append(f"{utt} {root / f'{utt}_src.wav'}")
            lines["tgt_wav.scp"].append(f"{utt} {root / f'{utt}_tgt.wav'}")
            lines["tgt_utt2num_samples"].append(f"{utt} {len(y)}")
            lines["durations"].append(f"{utt} {' '.join(map(str, d))}")
        for name in names:
            (root / name).write_text("".join(f"{line}\n" for line in lines[name]))

    return write
