"""A wave from draft to closed, on both engines: invitations, answering, races, closing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from engage import clock
from engage.db.tables import Answer, Invitation, Response, SurveyItem, Wave, WaveUnitCount
from engage.survey.answering import Credential, Problem, find_ballot, submit, submit_form
from engage.survey.delivery import DeliveryError, issue
from engage.survey.waves import (
    WaveError,
    WaveSpec,
    close_wave,
    create_wave,
    list_waves,
    open_wave,
    unit_rates,
)
from surveys.answers import Submission
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org

TODAY = clock.today()
ANSWER = Submission(answers={"E01": 4, "E02": 5, "E03": 3}, enps=9, comment="Short staffed.")


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()


def spec(*units: str, **kw: object) -> WaveSpec:
    base: dict[str, object] = {
        "name": "Pulse",
        "unit_codes": units or ("ROOT",),
        "opens_on": TODAY,
        "closes_on": TODAY + timedelta(days=14),
    }
    base.update(kw)
    return WaveSpec(**base)  # type: ignore[arg-type]


async def open_with_tokens(*units: str) -> tuple[int, dict[str, str]]:
    wave = await create_wave(spec(*units), "hr@acme.test")
    await open_wave(wave, "hr@acme.test")
    tokens = {i.name: i.secret for i in await issue(wave, "token")}
    return wave, tokens


async def test_default_items_are_seeded(org: None) -> None:
    codes = [
        r["code"]
        for r in await SurveyItem.select(SurveyItem.code).order_by(SurveyItem.position).run()
    ]
    assert codes == [*ENGAGEMENT_CODES, "ENPS"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"name": " "}, "name"),
        ({"closes_on": TODAY - timedelta(days=1), "opens_on": TODAY - timedelta(days=5)}, "passed"),
        ({"closes_on": TODAY, "opens_on": TODAY + timedelta(days=2)}, "before it opens"),
        ({"unit_codes": ("NOPE",)}, "unknown unit NOPE"),
        ({"unit_codes": ()}, "at least one unit"),
        ({"item_codes": ("E01", "X99")}, "unknown or retired item X99"),
    ],
)
async def test_bad_wave_specs_are_refused(org: None, kw: dict[str, object], message: str) -> None:
    before = await Wave.count().run()
    with pytest.raises(WaveError, match=message):
        await create_wave(spec(**kw), "hr@acme.test")  # type: ignore[arg-type]
    assert await Wave.count().run() == before


async def test_opening_invites_current_staff_in_the_audience_only(org: None) -> None:
    wave = await create_wave(spec("R1"), "hr@acme.test")
    invited = await open_wave(wave, "hr@acme.test")
    # R1: Nina (R1), Rita (L1), Eve and Emil (T1), Erin (T2), Ezra (T3) = 6
    assert invited == 6
    with pytest.raises(WaveError, match="not a draft"):
        await open_wave(wave, "hr@acme.test")
    row = await Wave.select().where(Wave.id == wave).first().run()
    assert row is not None and (row["min_group_size"], row["min_comment_group_size"]) == (5, 10)


async def test_answer_once_then_the_token_is_spent(org: None) -> None:
    wave, tokens = await open_with_tokens("L1")
    credential = Credential.from_token(tokens["Eve One"])
    ballot = await find_ballot(credential, "ru")
    assert not isinstance(ballot, Problem)
    assert ballot.language == "ru" and ballot.likert_codes == list(ENGAGEMENT_CODES)
    assert "Я ясно понимаю" in ballot.items[0].text
    assert await submit(credential, ANSWER, "ru") is None
    # spent, it still opens a ballot and takes a second answer, which is not stored: the
    # first answer stands, and whoever holds the link learns nothing of who used it
    other = Submission(answers={"E01": 1}, enps=0, comment="second try")
    assert await submit(credential, other, "ru") is None
    assert not isinstance(await find_ballot(credential), Problem)
    stored = await Response.select().where(Response.wave == wave).run()
    assert len(stored) == 1 and stored[0]["comment"] == "Short staffed." and stored[0]["enps"] == 9
    values = await Answer.select(Answer.item, Answer.value).where(Answer.wave == wave).run()
    assert sorted((v["item"], v["value"]) for v in values) == [("E01", 4), ("E02", 5), ("E03", 3)]


async def test_unknown_tokens_and_codes(org: None) -> None:
    assert await find_ballot(Credential.from_token("not-a-token")) is Problem.unknown
    assert await submit(Credential.from_token("not-a-token"), ANSWER, "en") is Problem.unknown
    assert Credential.from_kiosk_code("12") is None
    code = Credential.from_kiosk_code("ABCDE-FGHJK")
    assert code is not None and await find_ballot(code) is Problem.unknown


async def test_kiosk_codes_work_and_reissuing_replaces_them(org: None) -> None:
    wave = await create_wave(spec("L1"), "hr@acme.test")
    await open_wave(wave, "hr@acme.test")
    first = {i.name: i.secret for i in await issue(wave, "kiosk", without_email_only=True)}
    assert set(first) == {"Emil Two"}  # the only one in L1 without an email
    again = {i.name: i.secret for i in await issue(wave, "kiosk", without_email_only=True)}
    old = Credential.from_kiosk_code(first["Emil Two"].lower().replace("-", " "))
    new = Credential.from_kiosk_code(again["Emil Two"])
    assert old is not None and new is not None
    assert await find_ballot(old) is Problem.unknown
    assert await submit(new, ANSWER, "en") is None
    # spent: still printed, and its new code opens a ballot like anyone's (nothing stored)
    (reprint,) = await issue(wave, "kiosk", without_email_only=True)
    printed = Credential.from_kiosk_code(reprint.secret)
    assert printed is not None and not isinstance(await find_ballot(printed), Problem)
    assert await submit(printed, ANSWER, "en") is None
    assert await Response.count().where(Response.wave == wave).run() == 1


async def test_email_links_slip_links_and_kiosk_codes_are_independent(org: None) -> None:
    wave = await create_wave(spec("T1"), "hr@acme.test")
    await open_wave(wave, "hr@acme.test")
    email = {i.name: i.secret for i in await issue(wave, "token")}
    slip = {i.name: i.secret for i in await issue(wave, "slip")}
    code = {i.name: i.secret for i in await issue(wave, "kiosk")}
    for credential in (
        Credential.from_token(email["Eve One"]),
        Credential.from_token(slip["Eve One"]),
        Credential.from_kiosk_code(code["Eve One"]),
    ):
        assert credential is not None
        assert not isinstance(await find_ballot(credential), Problem)
    assert await submit(Credential.from_token(slip["Eve One"]), ANSWER, "en") is None
    # the email link now answers like the slip did, and stores nothing more
    assert await submit(Credential.from_token(email["Eve One"]), ANSWER, "en") is None
    assert await Response.count().where(Response.wave == wave).run() == 1


async def test_printing_again_does_not_tell_who_answered(org: None) -> None:
    wave = await create_wave(spec("T1"), "hr@acme.test")
    await open_wave(wave, "hr@acme.test")
    first = {i.name: i.secret for i in await issue(wave, "kiosk")}
    credential = Credential.from_kiosk_code(first["Eve One"])
    assert credential is not None and await submit(credential, ANSWER, "en") is None
    again = {i.name: i.secret for i in await issue(wave, "kiosk")}
    assert set(again) == set(first) == {"Eve One", "Emil Two"}  # the one who answered too
    printed = Credential.from_kiosk_code(again["Eve One"])
    other = Credential.from_kiosk_code(again["Emil Two"])
    assert printed is not None and other is not None
    # typing each code tells nothing: both open the same kind of ballot
    answered, not_yet = await find_ballot(printed, "en"), await find_ballot(other, "en")
    assert not isinstance(answered, Problem) and not isinstance(not_yet, Problem)
    assert answered == not_yet


async def test_fifty_concurrent_submits_store_exactly_one_response(org: None) -> None:
    wave, tokens = await open_with_tokens("T2")
    credential = Credential.from_token(tokens["Erin Three"])
    results = await asyncio.gather(*[submit(credential, ANSWER, "zh") for _ in range(50)])
    assert results == [None] * 50  # every one is confirmed alike …
    assert await Response.count().where(Response.wave == wave).run() == 1  # … one is stored
    assert await Answer.count().where(Answer.wave == wave).run() == 3


async def test_a_closed_wave_refuses_answers_and_keeps_only_counts(org: None) -> None:
    wave, tokens = await open_with_tokens("R1")
    for name in ("Eve One", "Erin Three", "Ezra Four"):
        assert await submit(Credential.from_token(tokens[name]), ANSWER, "en") is None
    before = {
        str(r["id"]) for r in await Response.select(Response.id).where(Response.wave == wave).run()
    }
    await close_wave(wave, "hr@acme.test")
    assert await submit(Credential.from_token(tokens["Emil Two"]), ANSWER, "en") is Problem.unknown
    assert await Invitation.count().where(Invitation.wave == wave).run() == 0
    after = {
        str(r["id"]) for r in await Response.select(Response.id).where(Response.wave == wave).run()
    }
    assert len(after) == len(before) == 3 and after.isdisjoint(before)  # new keys at close
    assert await Answer.count().where(Answer.wave == wave).run() == 9
    counts = await WaveUnitCount.select().where(WaveUnitCount.wave == wave).run()
    # only subtrees of at least k = 5 invitees are kept: R1 (6) and the root (6)
    assert {(c["invited"], c["answered"]) for c in counts} == {(6, 3)} and len(counts) == 2
    listed = next(w for w in await list_waves() if w.id == wave)
    assert (listed.status, listed.invited, listed.responses) == ("closed", 6, 3)
    assert listed.participation is None  # 6 invitees allow one band only: nothing is said
    with pytest.raises(WaveError, match="not open"):
        await close_wave(wave, "hr@acme.test")
    with pytest.raises(DeliveryError, match="only while the wave is open"):
        await issue(wave, "token")


async def test_response_rates_hide_small_units_and_small_remainders(org: None) -> None:
    wave, tokens = await open_with_tokens("ROOT")
    await submit(Credential.from_token(tokens["Eve One"]), ANSWER, "en")
    rates = {r.unit_code: r.participation for r in await unit_rates(wave, None)}
    root = rates["ROOT"]
    assert root is not None and (root.invited, root.band, root.low, root.high) == (10, "few", 0, 4)
    # R1 has 6 ≥ 5 invitees, but ROOT − R1 would expose R2's 2 people plus the 2 at ROOT
    # (4 < 5), so R1 is hidden as well; R2 (2 people) is hidden anyway
    assert rates["R1"] is None and rates["R2"] is None
    assert rates["T1"] is None and rates["L1"] is None
    assert {code for code, p in rates.items() if p is not None} == {"ROOT"}


async def test_after_close_the_old_keys_are_nowhere_in_the_sqlite_files(db: str, org: None) -> None:
    from pathlib import Path

    if not db.endswith(".sqlite3"):
        pytest.skip("SQLite files only (PostgreSQL pages are read with pageinspect below)")
    wave, tokens = await open_with_tokens("R1")
    for name in ("Eve One", "Ezra Four"):
        assert await submit(Credential.from_token(tokens[name]), ANSWER, "en") is None
    old = [
        str(r["id"]) for r in await Response.select(Response.id).where(Response.wave == wave).run()
    ]
    files = [Path(db), Path(db + "-wal")]
    assert any(o.encode() in p.read_bytes() for o in old for p in files if p.exists())
    await close_wave(wave, "hr@acme.test")
    for path in files:
        if path.exists():
            data = path.read_bytes()
            for key in old:
                assert key.encode() not in data, f"{key} still in {path.name}"
    assert not Path(db + "-wal").exists() or Path(db + "-wal").stat().st_size == 0


async def test_restamping_unpairs_invitations_from_responses_on_postgres(
    db: str, org: None
) -> None:
    from engage.survey.waves import restamp_spent_invitations

    if db.endswith(".sqlite3"):
        pytest.skip("PostgreSQL row versions only")
    wave, tokens = await open_with_tokens("L1")
    assert await submit(Credential.from_token(tokens["Rita Riverside"]), ANSWER, "en") is None
    outcome = await submit_form(Credential.from_token(tokens["Eve One"]), {"E01": "4"}, "en")
    assert not isinstance(outcome, Problem)
    pairing = (
        "SELECT COUNT(*) AS n FROM invitation i JOIN response r ON r.xmin = i.xmin "
        "WHERE i.wave = {} AND i.spent"
    )
    # the plain submit still pairs (the problem); the web path re-stamps at once
    assert (await Invitation.raw(pairing, wave).run())[0]["n"] == 1
    await restamp_spent_invitations()
    assert (await Invitation.raw(pairing, wave).run())[0]["n"] == 0


async def test_an_answer_racing_the_close_on_postgres_is_either_in_it_or_refused(
    db: str, org: None
) -> None:
    import asyncpg

    if db.endswith(".sqlite3"):
        pytest.skip("PostgreSQL only (SQLite has one writer, so the two cannot interleave)")
    wave, tokens = await open_with_tokens("L1")
    closer = await asyncpg.connect(db)
    try:
        # A close has marked the wave closed and is still working (publishing, rewriting)
        await closer.execute("BEGIN")
        await closer.execute("UPDATE wave SET status = 'closed' WHERE id = $1", wave)
        answering = asyncio.create_task(
            submit(Credential.from_token(tokens["Eve One"]), ANSWER, "en")
        )
        form = dict.fromkeys(ENGAGEMENT_CODES, "4")
        on_the_web = asyncio.create_task(
            submit_form(Credential.from_token(tokens["Rita Riverside"]), form, "en")
        )
        await asyncio.sleep(0.5)
        assert not answering.done() and not on_the_web.done()  # they wait for the close …
        await closer.execute("COMMIT")
        assert await answering == Problem.closed  # … and then find the wave closed
        assert await on_the_web == Problem.closed
    finally:
        await closer.close()
    assert await Response.count().where(Response.wave == wave).run() == 0


async def _raw_pages(tables: tuple[str, ...]) -> bytes:
    """Every page of these tables, their TOAST tables and all their indexes (pageinspect)."""
    await Invitation.raw("CREATE EXTENSION IF NOT EXISTS pageinspect").run()
    names = ", ".join(f"'{t}'::regclass" for t in tables)  # constants, not user input
    relations = await Invitation.raw(
        "SELECT c.oid::regclass::text AS rel, "
        "pg_relation_size(c.oid) / current_setting('block_size')::int AS blocks FROM pg_class c "
        f"WHERE c.oid IN ({names}) "
        f"OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ({names})) "
        f"OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE oid IN ({names}))"
    ).run()
    pages = []
    for rel in relations:
        for block in range(int(rel["blocks"])):
            row = await Invitation.raw(
                "SELECT get_raw_page({}, {}) AS page", rel["rel"], block
            ).run()
            pages.append(bytes(row[0]["page"]))
    assert len(relations) >= 6  # three tables, their keys and indexes
    return b"".join(pages)


async def test_after_close_no_postgres_page_holds_an_old_key_or_token(db: str, org: None) -> None:
    import uuid

    if db.endswith(".sqlite3"):
        pytest.skip("PostgreSQL pages only (the SQLite files are read above)")
    wave, tokens = await open_with_tokens("R1")
    for name in ("Eve One", "Ezra Four", "Erin Three"):
        assert await submit(Credential.from_token(tokens[name]), ANSWER, "en") is None
    responses = [
        r["id"] for r in await Response.select(Response.id).where(Response.wave == wave).run()
    ]
    answers = [r["id"] for r in await Answer.select(Answer.id).where(Answer.wave == wave).run()]
    hashes = [
        str(r["token_hash"])
        for r in await Invitation.select(Invitation.token_hash)
        .where(Invitation.wave == wave, Invitation.token_hash.is_not_null())
        .run()
    ]
    keys = [uuid.UUID(str(k)).bytes for k in [*responses, *answers]]
    before = await _raw_pages(("response", "answer", "invitation"))
    assert all(k in before for k in keys) and all(h.encode() in before for h in hashes)
    await close_wave(wave, "hr@acme.test")
    after = await _raw_pages(("response", "answer", "invitation"))
    assert not [k for k in keys if k in after], "a pre-close response or answer key remains"
    assert not [h for h in hashes if h.encode() in after], "a token hash remains"


async def test_participation_moves_in_batches_not_at_each_answer(org: None) -> None:
    from engage.survey.waves import participation_counted_at, recount_due

    wave, tokens = await open_with_tokens("ROOT")
    counted = await participation_counted_at(wave)
    assert counted is not None
    names = ["Eve One", "Emil Two", "Erin Three", "Ezra Four", "Elio Five"]
    for name in names:
        assert await submit(Credential.from_token(tokens[name]), ANSWER, "en") is None
    root = {r.unit_code: r.participation for r in await unit_rates(wave, None)}["ROOT"]
    assert root is not None and (root.low, root.high) == (0, 4)  # as counted at opening
    assert wave not in await recount_due()  # counted less than six hours ago
    with clock.pinned(TODAY + timedelta(days=1)):
        assert wave in await recount_due()
        root = {r.unit_code: r.participation for r in await unit_rates(wave, None)}["ROOT"]
        assert root is not None and (root.low, root.high) == (5, 10)
        later = await participation_counted_at(wave)
        assert later is not None and later > counted
