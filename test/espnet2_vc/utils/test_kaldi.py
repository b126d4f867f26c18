"""The package's one reader of Kaldi-style ``<utt> <value>`` files: its policy."""

import pytest

from espnet2_vc.utils.kaldi import read_kaldi, read_scp, scp_head, write_kaldi


def test_values_keep_their_spaces_and_blank_lines_are_passed_over(tmp_path):
    (tmp_path / "text").write_text("u1 hello  big world\n\nu2\nu3   x\n")
    assert read_kaldi(tmp_path / "text") == {"u1": "hello  big world", "u2": "", "u3": "x"}


@pytest.mark.parametrize("content, message", [
    ("a /x.wav\na /y.wav\n", r"text:2: duplicate utterance id a"),
    ("lonely\n", r"text:1: expected '<utt_id> <value>'"),
])  # fmt: skip
def test_a_bad_line_names_the_file_and_line(tmp_path, content, message):
    (tmp_path / "text").write_text(content)
    with pytest.raises(ValueError, match=message):
        read_scp(tmp_path / "text")


def test_piped_commands_are_refused(tmp_path):
    (tmp_path / "wav.scp").write_text("a sox x.wav -t wav - |\n")
    with pytest.raises(ValueError, match="a: piped commands are not supported"):
        read_scp(tmp_path / "wav.scp")


def test_head_reads_only_what_it_needs_and_write_sorts(tmp_path):
    write_kaldi(tmp_path / "x.scp", {"b": 2, "a": "p q", "B": 3})
    assert (tmp_path / "x.scp").read_text() == "B 3\na p q\nb 2\n"
    assert scp_head(tmp_path / "x.scp", 2) == [("B", "3"), ("a", "p q")]
    (tmp_path / "empty.scp").write_text("")
    assert scp_head(tmp_path / "empty.scp", 1) == []
