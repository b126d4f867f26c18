import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet2_vc.evaluate.page import write_page
from espnet2_vc.evaluate.report import build_results
from espnet2_vc.evaluate.runner import UttResult

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


class Links(HTMLParser):
    """Collects the src of every <audio> and <img> and the ids of tables."""

    def __init__(self) -> None:
        super().__init__()
        self.src: dict[str, list[str]] = {"audio": [], "img": []}
        self.table_ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.src:
            self.src[tag].append(attrs.get("src"))
        if tag == "table" and "id" in attrs:
            self.table_ids.append(attrs["id"])


def parse(text: str) -> Links:
    links = Links()
    links.feed(text)
    return links


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory, speechlike) -> Path:
    """A page with two samples (one with an unreadable target) and a skipped utterance."""
    data = tmp_path_factory.mktemp("data")
    paths = {}
    for system, kw in (("source", {"formant_scale": 1.2}), ("converted", {"f0_scale": 1.1}), ("target", {})):
        paths[system] = data / f"{system}.wav"
        sf.write(paths[system], speechlike(**kw), 16000)
    (data / "broken.wav").write_bytes(b"not audio")
    results = []
    for utt in ("utt a", "utt_b"):
        r = UttResult(utt)
        r.put("converted", "mcd", 4.25)
        r.put("source", "mcd", 8.5)
        results.append(r)
    report = build_results(results, {"utt_c": "not_converted: missing"}, {}, {})
    out = tmp_path_factory.mktemp("eval")
    samples = [
        ("utt a", {k: str(v) for k, v in paths.items()}, "A <b>sentence</b>."),
        ("utt_b", {"source": None, "converted": str(paths["converted"]), "target": str(data / "broken.wav")}, None),
    ]
    write_page(out, report, samples)
    return out


def test_page_links_are_relative_and_exist(page_dir, tmp_path):
    html = (page_dir / "index.html").read_text()
    links = parse(html)
    assert len(links.src["audio"]) == 4 and len(links.src["img"]) == 4  # 3 + 1 readable recordings
    assert links.table_ids == ["metrics", "samples"]
    copied = tmp_path / "copied"
    shutil.copytree(page_dir, copied)  # the folder moves with its page
    for src in links.src["audio"] + links.src["img"]:
        assert not src.startswith(("/", "file:", "http")), src
        assert (copied / src.replace("%20", " ")).is_file(), src
    import matplotlib.image

    assert matplotlib.image.imread(copied / links.src["img"][0]).shape == (160, 320, 4)
    assert "A &lt;b&gt;sentence&lt;/b&gt;." in html  # escaped
    assert "unreadable: " in html and "not given" in html
    assert '<td>MCD [dB] ↓</td><td>converted</td><td class="num">4.25 ± 0.00</td>' in html
    assert "utt_c" in html  # skipped utterances are listed


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no chromium on this machine (apt-get install chromium)")


def test_page_in_headless_chromium(page_dir, tmp_path):
    url = (page_dir / "index.html").resolve().as_uri()
    cmd = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*cmd, "--dump-dom", url], capture_output=True, text=True, timeout=90, check=True).stdout
    links = parse(dom)
    assert "metrics" in links.table_ids and "Voice conversion samples" in dom
    for src in links.src["audio"] + links.src["img"]:
        assert (page_dir / src.replace("%20", " ")).is_file(), src
    shot = tmp_path / "page.png"
    subprocess.run([*cmd, "--window-size=1100,900", f"--screenshot={shot}", url], capture_output=True, timeout=90,
                   check=True)  # fmt: skip
    import matplotlib.image

    image = np.asarray(matplotlib.image.imread(shot))
    assert image.shape[:2] == (900, 1100)
    assert image[..., :3].std() > 0.05  # not a blank page


def test_a_clip_shorter_than_one_window_is_drawn(tmp_path):
    """A degenerate conversion (256 samples at 16 kHz) gets its spectrogram, not a crash of stage 8."""
    from espnet2_vc.evaluate.page import write_samples

    sf.write(tmp_path / "short.wav", np.zeros(256, dtype=np.float32), 16000)
    sf.write(tmp_path / "long.wav", 0.1 * np.ones(16000, dtype=np.float32), 16000)
    paths = {"converted": str(tmp_path / "short.wav"), "target": str(tmp_path / "long.wav")}
    files = write_samples(tmp_path, "u1", paths)
    assert (tmp_path / files["converted"]["image"]).exists() and (tmp_path / files["target"]["image"]).exists()


def test_a_many_to_many_page_has_the_per_direction_table(tmp_path):
    """index.html shows results.md's per-direction rows (and a one-direction set has no such table)."""
    out = []
    for utt, direction, mcd in [("a1", "a -> b", 5.0), ("b1", "b -> a", 4.0)]:
        r = UttResult(utt)
        r.put("converted", "mcd", mcd)
        r.put("source", "mcd", 9.0)
        out.append((r, direction))
    report = build_results([r for r, _ in out], {}, {}, {}, {r.utt: d for r, d in out})
    text = write_page(tmp_path / "m2m", report, []).read_text()
    assert "directions" in parse(text).table_ids
    assert "<td>a -> b</td>" not in text and "<td>a -&gt; b</td>" in text and "5.00 (9.00)" in text
    assert "<td>mean over directions</td>" in text and "**" not in text
    one = build_results([r for r, _ in out], {}, {}, {}, {r.utt: "a -> b" for r, _ in out})
    assert "directions" not in parse(write_page(tmp_path / "one", one, []).read_text()).table_ids
