"""The training section in words: scales, what counts as clear, the verdict per module."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from reports.stats.estimate import Estimate
from reports.stats.training_effect import TrainingEffect
from reports.stats.training_panel import ModuleEffect
from reports.training_summary import signed, training_blocks, training_rows

LEAD = Estimate(0.0, -0.1, 0.1, 0.9, 20, 200, "lead")


def _item(outcome: str, est: float, low: float, high: float, p_adj: float) -> ModuleEffect:
    effect = TrainingEffect(Estimate(est, low, high, 0.01, 20, 200, "did"), LEAD, 6, 14, 12, ())
    return ModuleEffect("m1", outcome, effect, 0, p_adj, ((7, "2026-03"),), (9,), 2)


def _report(*items: ModuleEffect) -> Any:
    return SimpleNamespace(training=items)


def test_shares_are_told_in_percentage_points() -> None:
    (row,) = training_rows(_report(_item("client_retention", 0.031, 0.01, 0.05, 0.01)), {})
    assert (row.estimate, row.ci_low, row.ci_high) == pytest.approx((3.1, 1.0, 5.0))
    assert row.unit == "percentage points" and row.clear
    assert "3.1" in row.statement


def test_clear_needs_the_adjusted_p_value_too() -> None:
    (row,) = training_rows(_report(_item("engagement", 0.2, 0.05, 0.35, 0.2)), {})
    assert not row.clear  # the interval excludes zero, but not after adjustment
    assert "can arise by chance" in row.statement


def test_the_verdict_names_units_and_leads_with_engagement() -> None:
    report = _report(_item("csat", 0.1, 0.02, 0.2, 0.01), _item("engagement", 0.3, 0.1, 0.5, 0.01))
    (block,) = training_blocks(report, {"m1": "Module one"}, {7: "Riverside", 9: "Harbour"})
    assert block.title == "Module one" and block.rows[0].outcome == "engagement"
    assert block.verdict.startswith("Engagement (1–5) rose by 0.30 points")
    assert "a clear difference" in block.verdict and "Clear on client satisfaction" in block.verdict
    assert block.trained == ("Riverside (from 2026-03)",)
    assert block.partial == ("Harbour",) and block.other_module_units == 2


def test_signed_numbers() -> None:
    assert (
        signed(-5930.4, 0) == "−5,930" and signed(0.004, 2) == "0.00" and signed(1.5, 1) == "+1.5"
    )
