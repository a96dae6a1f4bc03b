"""Dashboards: a manager's units, HR's whole organisation; every figure through the gate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Template

from engage import clock
from engage.auth.guards import current_user, requires_role
from engage.org.queries import find_unit, flatten, unit_tree
from engage.reporting.dashboard_data import closed_waves, comments, load_dashboard, unit_paths
from engage.survey.waves import unit_rates
from engage.training.assignments import progress_by_unit
from reports.dashboard import Figure
from surveys.items import ELEMENTS, ENGAGEMENT_CODES


def _bucket(figure: Figure) -> str:
    """A CSS class for a heatmap cell (10-point bands; no inline styles under our CSP)."""
    if not figure.shown or figure.value is None:
        return "fav-none"
    return f"fav-{min(int(figure.value // 10), 9)}"


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One wave of a unit's trend."""

    label: str
    figure: Figure


def _trend_chart(points: list[TrendPoint]) -> str:
    shown = [p for p in points if p.figure.shown and p.figure.value is not None]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [p.label for p in shown],
            "y": [p.figure.value for p in shown],
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": [(p.figure.ci_high or 0.0) - (p.figure.value or 0.0) for p in shown],
                "arrayminus": [(p.figure.value or 0.0) - (p.figure.ci_low or 0.0) for p in shown],
            },
            "line": {"color": "#2f6fde"},
            "hovertemplate": "%{x}: %{y:.2f}<extra></extra>",
        }
    ]
    layout = {
        "height": 300,
        "margin": {"l": 50, "r": 20, "t": 20, "b": 60},
        "yaxis": {"title": {"text": "Engagement (1–5), 95% CI"}, "range": [1, 5]},
        "showlegend": False,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    return json.dumps({"data": data, "layout": layout})


class DashboardController(Controller):
    """Where a unit stands: trend, the twelve elements against the organisation, eNPS, comments."""

    path = "/dashboard"
    guards = [requires_role("manager")]
    include_in_schema = False

    @get("/", name="dashboard")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        unit: Annotated[str, QueryParameter(max_length=64)] = "",
        wave: Annotated[int | None, QueryParameter()] = None,
        level: Annotated[int | None, QueryParameter(ge=0, le=20)] = None,
    ) -> Template:
        """The dashboard of one unit (default: your own) and wave (default: the latest)."""
        user = current_user(request)
        scope = user.scope_path()
        units = flatten(await unit_tree(scope))
        if not units:
            raise NotFoundException("no unit in your scope")
        selected = await find_unit(unit, scope) if unit else units[0]
        if selected is None:
            raise NotFoundException(f"no unit {unit!r}")
        waves = await closed_waves()
        current = next((w for w in waves if w.id == wave), waves[0] if waves else None)
        if wave is not None and (current is None or current.id != wave):
            raise NotFoundException(f"no closed wave {wave}")
        data = await load_dashboard(waves)
        paths = await unit_paths()
        root = units[0]
        if level is not None and user.sees_whole_org:
            rows = [u for u in units if u.depth == level]
        else:
            rows = [
                selected,
                *[
                    u
                    for u in units
                    if u.path.startswith(selected.path) and u.depth == selected.depth + 1
                ],
            ]
        org_root = next((u for u, p in paths.items() if p.count("/") == 2), None)
        context: dict[str, Any] = {
            "units": units,
            "selected": selected,
            "waves": waves,
            "wave": current,
            "level": level,
            "levels": sorted({u.depth for u in units}),
            "elements": [(code, ELEMENTS[code]) for code in ENGAGEMENT_CODES],
            "k": data.k,
            "root": root,
        }
        progress = await progress_by_unit(clock.today(), selected.path)
        context["training"] = next((p for p in progress if p.code == selected.code), None)
        if current is not None:
            rates = await unit_rates(current.id, selected.path)
            context["rate"] = next((r for r in rates if r.unit_code == selected.code), None)
            points = [
                TrendPoint(w.opens_on.strftime("%b %Y"), data.engagement(selected.id, w.id))
                for w in reversed(waves)
            ]
            heat_rows: list[dict[str, Any]] = []
            comparison = (
                [] if org_root is None or org_root == selected.id else [("Organisation", org_root)]
            )
            for label, unit_id in [*comparison, *[(u.name, u.id) for u in rows]]:
                cells = [data.favourable(unit_id, current.id, code) for code in ENGAGEMENT_CODES]
                heat_rows.append(
                    {
                        "label": label,
                        "engagement": data.engagement(unit_id, current.id),
                        "cells": [(c, _bucket(c)) for c in cells],
                    }
                )
            context.update(
                points=points,
                withheld=[p for p in points if not p.figure.shown],
                trend_chart=_trend_chart(points),
                heat_rows=heat_rows,
                engagement=data.engagement(selected.id, current.id),
                enps=data.enps(selected.id, current.id),
                comments=await comments(selected.id, current),
            )
        return Template("dashboard.html", context=context)
