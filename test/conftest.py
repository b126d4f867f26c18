"""Test-wide settings: one thread per process (CI has 2 cores) and shared fixtures."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

SHARED_ARCTIC = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "arctic")


@pytest.fixture(scope="session")
def arctic_dir() -> str:
    """The shared real ARCTIC pairs, or a skip when this machine does not have them."""
    path = os.path.abspath(os.environ.get("ESPNET2_VC_ARCTIC", SHARED_ARCTIC))
    if not os.path.isdir(os.path.join(path, "cmu_us_kathleen_arctic")):
        pytest.skip(f"real ARCTIC pairs not found at {path}")
    return path
