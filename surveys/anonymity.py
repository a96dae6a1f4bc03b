"""Anonymity thresholds as pure rules (DESIGN.md, rules 3 and 7)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MIN_GROUP = 5
DEFAULT_MIN_COMMENT_GROUP = 10
FLOOR_MIN_GROUP = 3
FLOOR_MIN_COMMENT_GROUP = 5


class ThresholdError(ValueError):
    """Thresholds below the floors DESIGN.md sets."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Minimum group sizes, fixed for a wave when it opens."""

    scores: int = DEFAULT_MIN_GROUP
    comments: int = DEFAULT_MIN_COMMENT_GROUP

    def __post_init__(self) -> None:
        if self.scores < FLOOR_MIN_GROUP:
            raise ThresholdError(f"the minimum group for scores is at least {FLOOR_MIN_GROUP}")
        if self.comments < FLOOR_MIN_COMMENT_GROUP:
            raise ThresholdError(
                f"the minimum group for comments is at least {FLOOR_MIN_COMMENT_GROUP}"
            )
        if self.comments < self.scores:
            raise ThresholdError("the comment threshold cannot be below the score threshold")

    def shows_scores(self, respondents: int) -> bool:
        """Whether a group of ``respondents`` may have scores shown."""
        return respondents >= self.scores

    def shows_comments(self, respondents: int) -> bool:
        """Whether a group of ``respondents`` may have its comments shown."""
        return respondents >= self.comments

    def shows_response_rate(self, invitees: int) -> bool:
        """Response rates appear only for units with at least k invitees (rule 7)."""
        return invitees >= self.scores
