"""Tokens, kiosk codes and submission validation."""

from __future__ import annotations

import math

import pytest

from surveys.answers import MAX_COMMENT, Invalid, Submission, parse_submission
from surveys.items import ENGAGEMENT_CODES
from surveys.tokens import (
    KIOSK_ALPHABET,
    KIOSK_LENGTH,
    TOKEN_BYTES,
    kiosk_hash,
    new_kiosk_code,
    new_token,
    normalise_kiosk_code,
    token_hash,
)


def test_tokens_carry_at_least_128_bits_and_differ() -> None:
    assert TOKEN_BYTES * 8 >= 128
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) >= 32 for t in tokens)


def test_hashes_are_stable_and_not_the_token() -> None:
    t = new_token()
    assert token_hash(t) == token_hash(t)
    assert t not in token_hash(t) and len(token_hash(t)) == 64
    assert token_hash(t) != kiosk_hash(t)


def test_kiosk_codes_round_trip_through_sloppy_typing() -> None:
    assert KIOSK_LENGTH * math.log2(len(KIOSK_ALPHABET)) >= 50
    code = new_kiosk_code()
    canonical = code.replace("-", "")
    assert normalise_kiosk_code(code) == canonical
    assert normalise_kiosk_code(f"  {code.lower()} ") == canonical
    assert normalise_kiosk_code("0O1IL-23456") == "0011123456"
    assert normalise_kiosk_code("ABCDE-FGHJ") is None  # too short
    assert normalise_kiosk_code("ABCDE-FGHJU") is None  # U is not in the alphabet


ITEMS = list(ENGAGEMENT_CODES)


def test_valid_submission_leaves_out_skipped_items() -> None:
    form = {"E01": "5", "E02": "skip", "E03": "", "E04": "1", "ENPS": "9", "comment": "  Good. "}
    result = parse_submission(form, ITEMS)
    assert result == Submission(answers={"E01": 5, "E04": 1}, enps=9, comment="Good.")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"E01": "6"}, "E01"),
        ({"E01": "0"}, "E01"),
        ({"E01": "4.5"}, "E01"),
        ({"E01": "<script>"}, "E01"),
        ({"E01": "4", "ENPS": "11"}, "ENPS"),
        ({"E01": "4", "ENPS": "-1"}, "ENPS"),
        ({"E01": "4", "comment": "x" * (MAX_COMMENT + 1)}, "comment"),
        ({}, "form"),
        ({"E01": "skip", "ENPS": "skip", "comment": "   "}, "form"),
    ],
)
def test_invalid_values_name_the_field(form: dict[str, str], field: str) -> None:
    result = parse_submission(form, ITEMS)
    assert isinstance(result, Invalid)
    assert field in result.errors


def test_unknown_fields_are_ignored() -> None:
    result = parse_submission({"E01": "3", "person_id": "42", "X99": "5"}, ITEMS)
    assert result == Submission(answers={"E01": 3}, enps=None, comment=None)


def test_a_comment_as_long_as_the_browser_allows_is_accepted() -> None:
    # maxlength counts a line break once; the browser sends it as CRLF
    lines = "x" * 9 + "\r\n"
    comment = (lines * (MAX_COMMENT // 10))[:-2]
    assert len(comment.replace("\r\n", "\n")) <= MAX_COMMENT < len(comment)
    parsed = parse_submission({"comment": comment}, ["E01"])
    assert isinstance(parsed, Submission) and parsed.comment is not None
    assert "\r" not in parsed.comment
