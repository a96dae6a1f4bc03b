"""Dashboard figures against the respondent-level data they summarise (scipy, by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reports.dashboard import Dashboard, subtree_sums
from reports.gate import subtree_totals

#   1 ─ 2 ─ 4, 5
#     └ 3
PATHS = {1: "/1/", 2: "/1/2/", 3: "/1/3/", 4: "/1/2/4/", 5: "/1/2/5/"}


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for unit, size in {3: 7, 4: 6, 5: 8}.items():
        for _ in range(size):
            rows.append((unit, 10, rng.uniform(1, 5), rng.integers(1, 6), rng.integers(0, 11)))
    return pd.DataFrame(rows, columns=["unit", "wave", "score", "e01", "enps"])


@pytest.fixture(scope="module")
def board(respondents: pd.DataFrame) -> Dashboard:
    g = respondents.groupby(["unit", "wave"])
    scores = pd.DataFrame(
        {
            "n": g.size(),
            "score_sum": g["score"].sum(),
            "score_sq_sum": g["score"].apply(lambda s: (s**2).sum()),
        }
    ).reset_index()
    items = pd.DataFrame(
        {"n": g.size(), "favourable": g["e01"].apply(lambda v: (v >= 4).sum())}
    ).reset_index()
    items["item"] = "E01"
    enps = pd.DataFrame(
        {
            "n": g.size(),
            "promoters": g["enps"].apply(lambda v: (v >= 9).sum()),
            "detractors": g["enps"].apply(lambda v: (v <= 6).sum()),
        }
    ).reset_index()
    return Dashboard(scores, items, enps, PATHS, 5)


def test_engagement_mean_and_interval_match_scipy(
    board: Dashboard, respondents: pd.DataFrame
) -> None:
    group = respondents[respondents["unit"].isin([4, 5])]["score"]  # unit 2's subtree
    fig = board.engagement(2, 10)
    low, high = stats.t.interval(0.95, len(group) - 1, loc=group.mean(), scale=stats.sem(group))
    assert fig.shown and fig.n == 14
    assert fig.value == pytest.approx(group.mean(), rel=1e-12)
    assert (fig.ci_low, fig.ci_high) == pytest.approx((low, high), rel=1e-10)


def test_favourable_and_enps_by_hand(board: Dashboard, respondents: pd.DataFrame) -> None:
    everyone = respondents
    assert board.favourable(1, 10, "E01").value == pytest.approx(
        100 * (everyone["e01"] >= 4).mean()
    )
    expected = 100 * ((everyone["enps"] >= 9).mean() - (everyone["enps"] <= 6).mean())
    assert board.enps(1, 10).value == pytest.approx(expected)


def test_subtree_sums_and_totals_agree(respondents: pd.DataFrame) -> None:
    direct = respondents.groupby("unit").size().to_dict()
    totals = subtree_totals(direct, PATHS)
    assert totals == {1: 21, 2: 14, 3: 7, 4: 6, 5: 8}
    frame = respondents.groupby(["unit", "wave"]).size().rename("n").reset_index()
    rolled = subtree_sums(frame, PATHS, ["wave"]).set_index("unit")["n"].to_dict()
    assert rolled == totals
