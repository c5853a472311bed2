"""Charts drawn on the server as SVG: no script (the CSP forbids inline scripts), the same
drawing on the page and in the PDF, and every figure also given in a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0b4f8a", "#c9a100", "#2e7d32", "#a4000f", "#6a1b9a", "#455a64")
ROW, BAR_GAP, LABEL_WIDTH, CHART_WIDTH, PAD = 22, 3, 230, 380, 8


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    maximum: float | None = None,
    unit: str = "",
    chart_id: str = "chart",
) -> Markup:
    """Horizontal grouped bars: one group per category, one bar per series (None: no bar)."""
    values = [v for s in series for v in s.values if v is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    group = ROW * len(series) + BAR_GAP * 2
    legend_height = 20 if len(series) > 1 else 0
    height = PAD * 2 + legend_height + group * max(len(categories), 1)
    width = LABEL_WIDTH + CHART_WIDTH + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    if len(series) > 1:
        x = LABEL_WIDTH
        for index, item in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            parts.append(f'<rect x="{x}" y="{PAD}" width="12" height="12" fill="{colour}"/>')
            parts.append(
                f'<text x="{x + 16}" y="{PAD + 11}" font-size="12" font-family="sans-serif">'
                f"{escape(item.label)}</text>"
            )
            x += 40 + 7 * len(item.label)
    for row, category in enumerate(categories):
        y0 = PAD + legend_height + row * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y0 + group / 2 + 4:.1f}" text-anchor="end"'
            f' font-size="12" font-family="sans-serif">{escape(_short(category))}</text>'
        )
        for index, item in enumerate(series):
            value = item.values[row] if row < len(item.values) else None
            y = y0 + BAR_GAP + index * ROW
            if value is None:
                parts.append(
                    f'<text x="{LABEL_WIDTH + 4}" y="{y + 14}" font-size="11"'
                    ' font-family="sans-serif" fill="#555">no figure</text>'
                )
                continue
            length = max(min(value / top, 1.0), 0.0) * CHART_WIDTH
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="{ROW - 6}"'
                f' fill="{colour}"><title>{escape(item.label)}: {_fmt(value)}{escape(unit)}'
                "</title></rect>"
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 14}" font-size="11"'
                f' font-family="sans-serif">{_fmt(value)}{escape(unit)}</text>'
            )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{PAD}" x2="{LABEL_WIDTH}" y2="{height - PAD}"'
        ' stroke="#777" stroke-width="1"/>'
    )
    parts.append("</svg>")
    # Every piece of text in ``parts`` went through ``escape``; the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _short(text: str, size: int = 34) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
