"""Charts as SVG, drawn on the server: no script, no library, readable at any width.

``bars`` draws grouped bars (one colour per series; a value None -- nothing to measure --
draws no bar, and its hover title says so), ``line`` a line of values in [0, 1] (a share
such as the service level) with an optional target line. Both
scale to their container (``viewBox``) and carry a ``<title>`` per point so the
exact figure shows on hover.
"""
from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

W, H, PAD_L, PAD_B, PAD_T = 640, 240, 40, 36, 12
COLOURS = ("#2f6f9f", "#2e7d4f", "#a86b00", "#b23b3b")


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000):
        if v <= step:
            return float(step)
    return float(v)


def _frame(label_y: Sequence[tuple[float, str]], labels: Sequence[str], body: list[str],
           legend: Sequence[tuple[str, str]], title: str) -> str:
    plot_w, plot_h = W - PAD_L - 8, H - PAD_B - PAD_T
    out = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"'
           ' xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for frac, text in label_y:
        y = PAD_T + plot_h * (1 - frac)
        out.append(f'<line x1="{PAD_L}" x2="{W - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde3ea"/>')
        out.append(f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
                   f' fill="#6b7785">{escape(text)}</text>')
    n = max(1, len(labels))
    every = max(1, (n + 11) // 12)
    for i, lab in enumerate(labels):
        if i % every:
            continue
        x = PAD_L + plot_w * (i + 0.5) / n
        out.append(f'<text x="{x:.1f}" y="{H - PAD_B + 14}" text-anchor="middle" font-size="11"'
                   f' fill="#6b7785">{escape(lab[-5:] if len(lab) > 8 else lab)}</text>')
    out += body
    lx = PAD_L
    for colour, name in legend:
        out.append(f'<rect x="{lx}" y="{H - 12}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14}" y="{H - 3}" font-size="11" fill="#1f2933">'
                   f'{escape(name)}</text>')
        lx += 14 + 7 * len(name) + 16
    out.append("</svg>")
    return "".join(out)


def bars(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
         unit: str = "", top: float | None = None) -> str:
    """``top``: the scale's maximum (100 for percentages); by default a round number
    above the largest value."""
    plot_w, plot_h = W - PAD_L - 8, H - PAD_B - PAD_T
    if top is None:
        top = _nice_max(max((v for vs in series.values() for v in vs if v is not None),
                            default=0))
    n, k = max(1, len(labels)), max(1, len(series))
    slot = plot_w / n
    bar = slot * 0.8 / k
    body = []
    for j, (name, values) in enumerate(series.items()):
        colour = COLOURS[j % len(COLOURS)]
        for i, v in enumerate(values):
            h = 0.0 if v is None else plot_h * (v / top)
            x = PAD_L + slot * i + slot * 0.1 + bar * j
            said = "none" if v is None else f"{v:g}{unit}"
            body.append(f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{bar:.1f}"'
                        f' height="{h:.1f}" fill="{colour}"><title>{escape(labels[i])}'
                        f" {escape(name)}: {escape(said)}</title></rect>")
    ticks = [(f, f"{top * f:g}{unit}") for f in (0, 0.5, 1)]
    legend = [(COLOURS[j % len(COLOURS)], name) for j, name in enumerate(series)]
    return _frame(ticks, labels, body, legend, title)


def line(labels: Sequence[str], values: Sequence[float | None], title: str, name: str,
         target: float | None = None) -> str:
    plot_w, plot_h = W - PAD_L - 8, H - PAD_B - PAD_T
    n = max(1, len(labels))
    pts = [(PAD_L + plot_w * (i + 0.5) / n, PAD_T + plot_h * (1 - v), lab, v)
           for i, (lab, v) in enumerate(zip(labels, values)) if v is not None]
    body = []
    if target is not None:
        y = PAD_T + plot_h * (1 - target)
        body.append(f'<line x1="{PAD_L}" x2="{W - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b23b3b"'
                    ' stroke-dasharray="4 4"/>')
    if len(pts) > 1:
        body.append('<polyline fill="none" stroke="#2f6f9f" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts) + '"/>')
    for x, y, lab, v in pts:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2f6f9f"><title>'
                    f"{escape(lab)} {escape(name)}: {v * 100:.0f} %</title></circle>")
    ticks = [(f, f"{f * 100:.0f} %") for f in (0, 0.5, 1)]
    legend = [("#2f6f9f", name)] + ([("#b23b3b", f"target {target * 100:.0f} %")]
                                    if target is not None else [])
    return _frame(ticks, labels, body, legend, title)
