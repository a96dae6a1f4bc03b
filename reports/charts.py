"""Charts of the linkage report as plotly figures (plain JSON-able dicts).

Computing stays in ``reports.stats``; these functions only draw its results. Every point
is an analysis unit that passed the minimum group size, and analysis units of one outcome
never contain each other, so no chart offers a difference of two shown groups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from scipy import stats

from reports.stats.linkage import LinkageReport
from reports.stats.quartiles import MIN_UNITS as QUARTILE_MIN_UNITS
from reports.summary import outcome_title

INK = "#1f2a44"
ACCENT = "#2f6fde"
MUTED = "#8a94a6"
BAND = "rgba(47,111,222,0.15)"
LAYOUT: dict[str, Any] = {
    "font": {
        "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
        "size": 13,
        "color": INK,
    },
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
    "showlegend": False,
}
CORRELATIONS = ("pearson", "spearman", "pearson_corrected")
RATIOS = ("binomial_glm", "cox")


def as_json(figure: go.Figure) -> str:
    """The figure as JSON for ``Plotly.newPlot`` (NaN becomes null)."""
    return str(pio.to_json(figure, validate=False, remove_uids=True))


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e6e9ef", "zeroline": False, **extra}


def scatter(report: LinkageReport, outcome: str, names: Mapping[Any, str]) -> go.Figure | None:
    """Units' engagement against an outcome, with the least-squares line and its 95% band."""
    data = report.analysis_units
    if outcome not in data.columns:
        return None
    rows = data[["unit", "engagement", outcome]].dropna()
    if len(rows) < 3:
        return None
    x = rows["engagement"].to_numpy(dtype=float)
    y = rows[outcome].to_numpy(dtype=float)
    labels = [names.get(u, str(u)) for u in rows["unit"]]
    figure = go.Figure()
    if np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        grid = np.linspace(x.min(), x.max(), 50)
        fitted = intercept + slope * grid
        resid = y - (intercept + slope * x)
        n = len(x)
        s = math.sqrt(float((resid**2).sum()) / (n - 2)) if n > 2 else 0.0
        se = s * np.sqrt(1 / n + (grid - x.mean()) ** 2 / float(((x - x.mean()) ** 2).sum()))
        t = float(stats.t.ppf(0.975, max(n - 2, 1)))
        figure.add_trace(
            go.Scatter(
                x=np.concatenate([grid, grid[::-1]]),
                y=np.concatenate([fitted + t * se, (fitted - t * se)[::-1]]),
                fill="toself",
                fillcolor=BAND,
                line={"width": 0},
                hoverinfo="skip",
                name="95% band",
            )
        )
        figure.add_trace(
            go.Scatter(x=grid, y=fitted, mode="lines", line={"color": ACCENT}, hoverinfo="skip")
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={"color": INK, "size": 9, "opacity": 0.8},
            text=labels,
            hovertemplate="%{text}<br>engagement %{x:.2f}<br>%{y:.3g}<extra></extra>",
        )
    )
    figure.update_layout(
        **LAYOUT,
        height=360,
        xaxis=_axis("Unit engagement (mean score, 1–5)"),
        yaxis=_axis(outcome_title(outcome)),
    )
    return figure


def forest(report: LinkageReport, methods: tuple[str, ...], log: bool = False) -> go.Figure | None:
    """Every estimate of the given methods with its 95% CI, one row each."""
    links = [lk for lk in report.links if lk.method in methods and math.isfinite(lk.estimate)]
    if not links:
        return None
    labels = [f"{outcome_title(lk.outcome)} · {lk.method.replace('_', ' ')}" for lk in links]
    clear = [math.isfinite(lk.p_adjusted) and lk.p_adjusted < 0.05 for lk in links]
    figure = go.Figure(
        go.Scatter(
            x=[lk.estimate for lk in links],
            y=labels,
            mode="markers",
            marker={
                "color": [ACCENT if c else MUTED for c in clear],
                "size": 10,
                "symbol": "square",
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [lk.ci_high - lk.estimate for lk in links],
                "arrayminus": [lk.estimate - lk.ci_low for lk in links],
                "color": INK,
                "thickness": 1.5,
            },
            customdata=[[lk.ci_low, lk.ci_high, lk.p_adjusted, lk.n_units] for lk in links],
            hovertemplate=(
                "%{y}<br>%{x:.3f} (95% CI %{customdata[0]:.3f} to %{customdata[1]:.3f})"
                "<br>adjusted p %{customdata[2]:.3f}, %{customdata[3]} units<extra></extra>"
            ),
        )
    )
    reference = 1.0 if log else 0.0
    figure.add_vline(x=reference, line={"color": MUTED, "dash": "dot"})
    title = "Ratio per SD of engagement (log scale)" if log else "Correlation with engagement"
    figure.update_layout(
        **LAYOUT,
        height=80 + 34 * len(links),
        xaxis=_axis(title, type="log" if log else "linear", **({} if log else {"range": [-1, 1]})),
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return figure


def quartile_rows(data: Any, outcome: str) -> list[tuple[str, int, float, float]]:
    """(group, units, mean outcome, 1.96 SE) for the bottom quarter, middle half, top quarter."""
    ordered = data.sort_values("engagement", kind="stable")
    size = len(ordered) // 4
    parts = {
        "Bottom quarter": ordered.iloc[:size][outcome],
        "Middle half": ordered.iloc[size : len(ordered) - size][outcome],
        "Top quarter": ordered.iloc[len(ordered) - size :][outcome],
    }
    return [
        (
            name,
            len(values),
            float(values.mean()),
            1.96 * float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0,
        )
        for name, values in parts.items()
    ]


def quartile_bars(report: LinkageReport, outcome: str) -> go.Figure | None:
    """Mean outcome of the bottom quarter, middle half and top quarter of units, ± 1.96 SE."""
    data = (
        report.analysis_units[["engagement", outcome]].dropna()
        if outcome in report.analysis_units
        else None
    )
    if data is None or len(data) < QUARTILE_MIN_UNITS:
        return None
    rows = quartile_rows(data, outcome)
    groups = {name: n for name, n, _, _ in rows}
    means = [mean for _, _, mean, _ in rows]
    errors = [half for _, _, _, half in rows]
    figure = go.Figure(
        go.Bar(
            x=[f"{name} ({n})" for name, n in groups.items()],
            y=means,
            marker={"color": [MUTED, "#b7c3d9", ACCENT]},
            error_y={"type": "data", "array": errors, "color": INK},
            hovertemplate="%{x} units: %{y:.3g}<extra></extra>",
        )
    )
    low = min(m - e for m, e in zip(means, errors, strict=True))
    high = max(m + e for m, e in zip(means, errors, strict=True))
    pad = (high - low) * 0.3 or 1.0
    figure.update_layout(
        **LAYOUT,
        height=300,
        yaxis=_axis(outcome_title(outcome), range=[low - pad, high + pad]),
        xaxis={"title": {"text": "Units by engagement (number of units)"}},
    )
    return figure


def event_study(
    report: LinkageReport, module: str, outcome: str = "engagement"
) -> go.Figure | None:
    """A module's difference from the untrained prediction, month by month around training,
    with 95% intervals (months before training: the check that it starts near zero)."""
    item = next((i for i in report.training if i.module == module and i.outcome == outcome), None)
    if item is None:
        return None
    events = [
        e
        for e in item.result.event_study
        if math.isfinite(e.estimate.estimate)
        and math.isfinite(e.estimate.ci_low)
        and math.isfinite(e.estimate.ci_high)
    ]
    if len(events) < 2:
        return None
    x = [e.months for e in events]
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=[e.estimate.estimate for e in events],
            mode="markers+lines",
            line={"color": ACCENT, "width": 1.5},
            marker={"color": [MUTED if m < 0 else ACCENT for m in x], "size": 9},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [e.estimate.ci_high - e.estimate.estimate for e in events],
                "arrayminus": [e.estimate.estimate - e.estimate.ci_low for e in events],
                "color": INK,
                "thickness": 1.2,
            },
            customdata=[
                [e.estimate.ci_low, e.estimate.ci_high, e.estimate.n_units] for e in events
            ],
            hovertemplate=(
                "%{x} months since training: %{y:.3f} (95% CI %{customdata[0]:.3f} to "
                "%{customdata[1]:.3f}), %{customdata[2]} trained units<extra></extra>"
            ),
        )
    )
    figure.add_hline(y=0, line={"color": MUTED, "dash": "dot"})
    figure.add_vline(x=-0.5, line={"color": MUTED, "dash": "dash"})
    figure.update_layout(
        **LAYOUT,
        height=320,
        xaxis=_axis("Months since training (before: the check)", dtick=1),
        yaxis=_axis(f"Difference from prediction ({outcome_title(outcome)})", zeroline=False),
    )
    return figure


def disjoint_units(units: list[Any], ancestors: Mapping[Any, frozenset[Any]]) -> set[Any]:
    """The given units minus any that contain another of them.

    Charts of one page then show only groups with no member in common, so no figure on the
    page can be subtracted from another to reveal a smaller group (DESIGN.md rule 4).
    """
    present = set(units)
    containing = {a for u in present for a in ancestors.get(u, frozenset()) if a != u}
    return present - containing


def report_figures(
    report: LinkageReport, names: Mapping[Any, str], ancestors: Mapping[Any, frozenset[Any]]
) -> dict[str, go.Figure]:
    """Every chart of the report, keyed by an id the page and the PDF use."""
    keep = disjoint_units(list(report.analysis_units["unit"]), ancestors)
    shown = replace(
        report, analysis_units=report.analysis_units[report.analysis_units["unit"].isin(keep)]
    )
    charts: dict[str, go.Figure | None] = {
        "forest-correlations": forest(shown, CORRELATIONS),
        "forest-ratios": forest(shown, RATIOS, log=True),
    }
    for summary in shown.outcomes:
        charts[f"scatter-{summary.outcome}"] = scatter(shown, summary.outcome, names)
        charts[f"quartiles-{summary.outcome}"] = quartile_bars(shown, summary.outcome)
    for module in dict.fromkeys(item.module for item in report.training):
        charts[f"event-{module}"] = event_study(report, module)
    return {key: fig for key, fig in charts.items() if fig is not None}


def report_charts(
    report: LinkageReport, names: Mapping[Any, str], ancestors: Mapping[Any, frozenset[Any]]
) -> dict[str, str]:
    """Every chart of the report as JSON for ``Plotly.newPlot``."""
    return {key: as_json(fig) for key, fig in report_figures(report, names, ancestors).items()}
