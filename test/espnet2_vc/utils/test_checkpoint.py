"""espnet2_vc.utils.checkpoint: strict loading, and saves that a kill cannot leave half-written."""

import io
from pathlib import Path

import pytest
import torch

from espnet2_vc.utils.checkpoint import atomic_saves


class Unpicklable:
    """Fails half-way through a save, after torch has begun writing the file (like a kill mid-save)."""

    def __reduce__(self):
        raise KeyboardInterrupt("killed during the save")


def test_a_save_interrupted_half_way_leaves_the_previous_checkpoint_whole(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 1, "w": torch.ones(1000)}, path)
    with atomic_saves(), pytest.raises(KeyboardInterrupt):
        torch.save({"epoch": 2, "w": torch.zeros(1000), "bad": Unpicklable()}, path)
    assert torch.load(path, weights_only=True)["epoch"] == 1
    with atomic_saves():
        torch.save({"epoch": 3}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pth"]  # the stale .tmp was reused


def test_without_it_the_same_interruption_destroys_the_checkpoint(tmp_path: Path) -> None:
    """What the context manager is for: torch's own save truncates the file first."""
    path = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 1}, path)
    with pytest.raises(KeyboardInterrupt):
        torch.save({"epoch": 2, "bad": Unpicklable()}, path)
    with pytest.raises(RuntimeError):  # a truncated zip archive
        torch.load(path, weights_only=True)


def test_saves_to_a_buffer_and_torch_save_itself_are_left_alone() -> None:
    save = torch.save
    with atomic_saves():
        buf = io.BytesIO()
        torch.save({"x": 1}, buf)
        assert torch.load(io.BytesIO(buf.getvalue()), weights_only=True) == {"x": 1}
    assert torch.save is save
