"""Progress bars are drawn on a terminal only: a recipe's log files (vc.sh's run_logged) get none."""

import io
import sys

import pytest

from espnet2_vc.utils.progress import progress


class FakeStderr(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty, enabled, drawn", [(True, None, True), (False, None, False), (True, False, False),
                                                 (False, True, True)])  # fmt: skip
def test_a_bar_is_drawn_on_a_terminal_unless_told_otherwise(monkeypatch, tty, enabled, drawn):
    err = FakeStderr(tty)
    monkeypatch.setattr(sys, "stderr", err)
    assert list(progress(range(5), "dump", enabled=enabled)) == [0, 1, 2, 3, 4]
    assert ("dump: 100%" in err.getvalue()) == drawn
    assert ("5/5" in err.getvalue()) == drawn
