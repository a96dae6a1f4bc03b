"""Published dashboard figures against the respondent-level data they summarise (scipy, by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reports.dashboard import Dashboard
from reports.gate import subtree_totals
from reports.publication import SUM_KEYS, WITHHELD, publish, subtree_sums

#   1 ─ 2 ─ 4, 5
#     └ 3
PATHS = {1: "/1/", 2: "/1/2/", 3: "/1/3/", 4: "/1/2/4/", 5: "/1/2/5/"}


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for unit, size in {3: 7, 4: 6, 5: 8}.items():
        for _ in range(size):
            e01 = rng.integers(1, 6)
            rows.append(
                (unit, rng.uniform(1, 5), e01 if rng.random() > 0.2 else None, rng.integers(0, 11))
            )
    return pd.DataFrame(rows, columns=["unit", "score", "e01", "enps"])


def leaf_sums(respondents: pd.DataFrame) -> pd.DataFrame:
    """What the publication's SQL pass returns, built here with pandas from the rows."""
    g = respondents.groupby("unit")
    frame = pd.DataFrame(
        {
            "n": g.size(),
            "score_sum": g["score"].sum(),
            "score_sq_sum": g["score"].apply(lambda s: (s**2).sum()),
            "c_e01": g["e01"].count(),
            "f_e01": g["e01"].apply(lambda v: (v.dropna() >= 4).sum()),
            "enps_n": g["enps"].count(),
            "promoters": g["enps"].apply(lambda v: (v >= 9).sum()),
            "detractors": g["enps"].apply(lambda v: (v <= 6).sum()),
        }
    ).reset_index()
    return frame.reindex(columns=["unit", *SUM_KEYS]).fillna(0.0)


@pytest.fixture(scope="module")
def board(respondents: pd.DataFrame) -> Dashboard:
    publication = publish(leaf_sums(respondents), PATHS, k=5, k_comments=10)
    rows = [
        {"wave": 10, "unit": u.unit, "shown": u.shown, "reason": u.reason, **(u.sums or {})}
        for u in publication.units
    ]
    return Dashboard(pd.DataFrame(rows), 5)


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
    answered = respondents["e01"].dropna()
    assert board.favourable(1, 10, "E01").value == pytest.approx(100 * (answered >= 4).mean())
    everyone = respondents["enps"]
    expected = 100 * ((everyone >= 9).mean() - (everyone <= 6).mean())
    assert board.enps(1, 10).value == pytest.approx(expected)


def test_units_the_publication_withholds_say_why(board: Dashboard) -> None:
    assert not board.engagement(99, 10).shown  # no respondents there
    assert board.engagement(99, 10).reason == WITHHELD.format(k=5)
    assert not board.favourable(1, 11, "E01").shown  # a wave without publication


def test_an_item_answered_by_fewer_than_k_is_withheld_on_its_own() -> None:
    # unit 4 (6 respondents) where only two answered E01 and eNPS: the unit's score is
    # shown, its E01 and eNPS are not (they would be those two people's answers)
    rows = (
        pd.DataFrame(
            [
                {
                    "unit": 4,
                    "n": 6,
                    "score_sum": 18.0,
                    "score_sq_sum": 60.0,
                    "c_e01": 2,
                    "f_e01": 1,
                    "enps_n": 2,
                    "promoters": 1,
                    "detractors": 1,
                },
                {
                    "unit": 5,
                    "n": 8,
                    "score_sum": 24.0,
                    "score_sq_sum": 80.0,
                    "c_e01": 8,
                    "f_e01": 4,
                    "enps_n": 8,
                    "promoters": 2,
                    "detractors": 2,
                },
            ]
        )
        .reindex(columns=["unit", *SUM_KEYS])
        .fillna(0.0)
    )
    publication = publish(rows, PATHS, k=5, k_comments=10)
    shown = publication.shown()
    assert 4 in shown and 5 in shown
    assert (
        shown[4].sums is not None and shown[4].sums["c_e01"] == 0 and shown[4].sums["enps_n"] == 0
    )
    # unit 2 = 4 + 5: E01 10 answers, but 10 − 8 (unit 5) = unit 4's two: one of 2 and 5
    # loses its E01 (the smaller, unit 5), though both keep their scores
    assert shown[2].sums is not None and shown[2].sums["c_e01"] == 10
    assert shown[5].sums is not None and shown[5].sums["c_e01"] == 0
    board = Dashboard(
        pd.DataFrame(
            [
                {"wave": 1, "unit": u.unit, "shown": u.shown, **(u.sums or {})}
                for u in publication.units
            ]
        ),
        5,
    )
    assert not board.favourable(4, 1, "E01").shown and not board.enps(4, 1).shown
    assert board.engagement(4, 1).shown
    assert board.favourable(2, 1, "E01").shown != board.favourable(5, 1, "E01").shown


def test_subtree_sums_and_totals_agree(respondents: pd.DataFrame) -> None:
    direct = respondents.groupby("unit").size().to_dict()
    totals = subtree_totals(direct, PATHS)
    assert totals == {1: 21, 2: 14, 3: 7, 4: 6, 5: 8}
    rolled = subtree_sums(leaf_sums(respondents), PATHS).set_index("unit")["n"].to_dict()
    assert rolled == totals
