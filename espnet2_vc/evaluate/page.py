"""The samples page ``index.html``: the metrics table, then source / converted / target side by side.

For each sample the page shows, per system, an ``<audio>`` player and a spectrogram image (matplotlib, Agg
backend). The audio is copied (as 16-bit wav at its own rate) and the images are written under
``samples/<utt>/`` next to ``index.html``, and every link is relative, so the output folder can be copied
or served as it is.
"""

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from espnet2_vc.evaluate.report import METRIC_INFO, direction_rows, summary_rows

PAGE_SYSTEMS = ("source", "converted", "analysis", "target")  # analysis: the target's mels through the vocoder
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

_CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sample td { text-align: center; }
.sample img { display: block; width: 320px; height: 160px; }
.sample audio { width: 320px; }
.text { font-style: italic; color: #444; text-align: left; }
.missing { color: #a00; }
"""


def spectrogram_png(wav: np.ndarray, fs: int, path: Path, xmax_s: float, fmax_hz: float) -> None:
    """Save a log-magnitude spectrogram (320x160 px) of one waveform.

    Args:
        wav: Waveform (n_samples,).
        fs: Its sampling rate.
        path: Output PNG.
        xmax_s: Time axis end, seconds (the longest of the row, so lengths compare).
        fmax_hz: Frequency axis end, Hz (the lowest Nyquist of the row).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import stft

    n_fft = 1 << int(np.ceil(np.log2(0.032 * fs)))
    # A clip shorter than one window (a degenerate conversion) is still drawn: zero-padded to one window.
    padded = np.pad(wav, (0, max(0, n_fft - len(wav))))
    _, _, spec = stft(padded, fs=fs, nperseg=n_fft, noverlap=n_fft * 3 // 4)
    db = 20.0 * np.log10(np.abs(spec) + 1e-10)
    db -= db.max()
    fig, ax = plt.subplots(figsize=(4, 2), dpi=80)
    ax.imshow(np.maximum(db, -80.0), origin="lower", aspect="auto", cmap="magma", vmin=-80.0, vmax=0.0,
              extent=(0.0, len(wav) / fs, 0.0, fs / 2000.0))  # fmt: skip
    ax.set_xlim(0.0, xmax_s)
    ax.set_ylim(0.0, fmax_hz / 1000.0)
    ax.set_xlabel("s", fontsize=7, labelpad=1)
    ax.set_ylabel("kHz", fontsize=7, labelpad=1)
    ax.tick_params(labelsize=6, length=2, pad=1)
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.17, top=0.98)
    fig.savefig(path)
    plt.close(fig)


def write_samples(output_dir: Path, utt: str, paths: dict[str, str | None]) -> dict[str, dict[str, str]]:
    """Copy a sample's audio and draw its spectrograms under ``samples/<utt>/``.

    Args:
        output_dir: Folder of ``index.html``.
        utt: Utterance id.
        paths: System → audio path (``None``: absent).

    Returns:
        System → ``{"audio": relative path, "image": relative path}`` or ``{"error": reason}``.
    """
    import soundfile as sf

    from espnet2_vc.utils.audio import load_audio

    folder = Path("samples") / _UNSAFE.sub("_", utt)
    (output_dir / folder).mkdir(parents=True, exist_ok=True)
    loaded: dict[str, tuple[np.ndarray, int]] = {}
    out: dict[str, dict[str, str]] = {}
    for system in PAGE_SYSTEMS:
        if paths.get(system) is None:
            continue
        try:
            loaded[system] = load_audio(paths[system])
        except Exception as e:  # any reader failure is shown on the page
            out[system] = {"error": f"{type(e).__name__}: {e}"}
    if loaded:
        xmax = max(len(w) / fs for w, fs in loaded.values())
        fmax = min(fs for _, fs in loaded.values()) / 2.0
    for system, (wav, fs) in loaded.items():
        audio, image = folder / f"{system}.wav", folder / f"{system}.png"
        sf.write(output_dir / audio, np.clip(wav, -1.0, 1.0), fs, subtype="PCM_16")
        spectrogram_png(wav, fs, output_dir / image, xmax, fmax)
        out[system] = {"audio": audio.as_posix(), "image": image.as_posix()}
    return out


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], table_id: str, numeric_from: int) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = [
            f'<td class="num">{html.escape(c)}</td>' if i >= numeric_from else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(body) + "\n</tbody></table>"


def _sample_row(utt: str, files: dict[str, dict[str, str]], entry: dict[str, Any], text: str | None) -> str:
    conv = entry.get("converted", {})
    shown = [i for i in METRIC_INFO if i.key in ("mcd", "f0_rmse", "spk_cos_tgt", "wer") and i.key in conv]
    metrics = ", ".join(f"{i.label} {conv[i.key]:.{i.digits}f}{(' ' + i.unit) if i.unit else ''}" for i in shown)
    cells = []
    for system in PAGE_SYSTEMS:
        f = files.get(system)
        if f is None:
            cells.append('<td class="missing">not given</td>')
        elif "error" in f:
            cells.append(f'<td class="missing">unreadable: {html.escape(f["error"])}</td>')
        else:
            img, aud = quote(f["image"]), quote(f["audio"])
            cells.append(f'<td><img src="{img}" alt="{system} spectrogram"><audio controls preload="none" '
                         f'src="{aud}"></audio></td>')  # fmt: skip
    caption = f"<b>{html.escape(utt)}</b>" + (f" — {html.escape(metrics)}" if metrics else "")
    if text:
        caption += f'<div class="text">{html.escape(text)}</div>'
    head = f'<tr><td colspan="{len(PAGE_SYSTEMS)}" style="text-align:left">{caption}</td></tr>'
    return f'{head}\n<tr>{"".join(cells)}</tr>'


def write_page(
    output_dir: str | Path,
    results: dict[str, Any],
    samples: Sequence[tuple[str, dict[str, str | None], str | None]],
    title: str = "Voice conversion samples",
) -> Path:
    """Write ``index.html`` and its sample files.

    Args:
        output_dir: Output folder.
        results: The ``results.json`` content (:func:`espnet2_vc.evaluate.report.build_results`).
        samples: ``(utt, {system: audio path or None}, transcript or None)`` for each sample shown.
        title: Page title.

    Returns:
        Path of ``index.html``.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    c = results["counts"]
    parts = [
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>',
        f"<style>{_CSS}</style>\n</head>\n<body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{c['evaluated']} of {c['listed']} utterances evaluated, {c['skipped']} skipped. "
        'Full numbers: <a href="results.md">results.md</a>, <a href="results.json">results.json</a>.</p>',
        "<h2>Metrics</h2>",
        _table(["metric", "system", "mean ± std", "95% CI", "N"], summary_rows(results), "metrics", 2),
    ]
    header, rows = direction_rows(results)
    if rows:  # many-to-many: one row per direction (results.md's table, without its markdown bold)
        plain = [[r[0].strip("*"), *r[1:]] for r in rows]
        note = "Converted; no conversion in brackets; N = utterances, or directions for the mean."
        parts += ["<h2>Per direction</h2>", f"<p>{note}</p>", _table(header, plain, "directions", 1)]
    if samples:
        parts.append(f"<h2>Samples ({len(samples)})</h2>")
        parts.append('<table class="sample" id="samples"><thead><tr>'
                     + "".join(f"<th>{s}</th>" for s in PAGE_SYSTEMS) + "</tr></thead><tbody>")  # fmt: skip
        for utt, paths, text in samples:
            files = write_samples(output_dir, utt, paths)
            parts.append(_sample_row(utt, files, results["utterances"].get(utt, {}), text))
        parts.append("</tbody></table>")
    if results["skipped"]:
        items = "".join(
            f"<li><code>{html.escape(u)}</code>: {html.escape(r)}</li>" for u, r in results["skipped"].items()
        )
        parts.append(f"<h2>Skipped</h2>\n<ul>{items}</ul>")
    parts.append("</body>\n</html>\n")
    path = output_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
