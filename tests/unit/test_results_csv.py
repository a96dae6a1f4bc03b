"""The results CSV: numbers rounded for reading, still numbers; the JSON keeps them whole."""

from __future__ import annotations

import csv
import io

from engage.reporting.linkage import to_csv


def _link(**over: object) -> dict[str, object]:
    link: dict[str, object] = {
        "outcome": "csat",
        "method": "pearson",
        "estimate": 0.123456789012345,
        "ci_low": -0.0000123456789,
        "ci_high": 1234.56789012,
        "p_value": 5.91e-15,
        "p_adjusted": 0.0123456789,
        "n_units": 40,
        "lag_months": 0,
        "n_obs": 40,
        "meaning": "r",
        "detail": "",
        "warnings": ["few units"],
    }
    link.update(over)
    return link


def test_numbers_are_rounded_and_stay_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv({"links": [_link()]}))))
    row = rows[0]
    assert row["estimate"] == "0.123457"
    assert row["ci_low"] == "-1.23457e-05"
    assert row["ci_high"] == "1234.57"
    assert row["p_value"] == "0.0"  # below 0.0000005
    assert row["p_adjusted"] == "0.012346"
    assert row["n_units"] == "40" and row["warnings"] == "few units"
    assert all(float(row[c]) == float(row[c]) for c in ("estimate", "ci_low", "p_value"))


def test_missing_numbers_are_empty() -> None:
    row = next(csv.DictReader(io.StringIO(to_csv({"links": [_link(estimate=None)]}))))
    assert row["estimate"] == ""
