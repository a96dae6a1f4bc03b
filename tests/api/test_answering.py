"""Answering through the web, as an employee without an account would."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from litestar.testing import AsyncTestClient

from engage import clock
from engage.db.tables import Answer, KeyValue, Response
from engage.survey.delivery import issue
from engage.survey.waves import WaveSpec, create_wave, open_wave
from engage.web.security import signed
from tests.factories import Org, csrf_token, form_id, without_form_id

TODAY = clock.today()


async def new_wave(kind: str = "token", unit: str = "L1") -> tuple[int, dict[str, str]]:
    wave = await create_wave(
        WaveSpec("March pulse", (unit,), TODAY, TODAY + timedelta(days=10)), "hr@acme.test"
    )
    await open_wave(wave, "hr@acme.test")
    return wave, {i.name: i.secret for i in await issue(wave, kind)}


def full_form(token: str, **over: str) -> dict[str, str]:
    form = {f"E{i:02d}": str((i % 5) + 1) for i in range(1, 13)}
    form.update({"ENPS": "8", "comment": "Более гибкий график, пожалуйста.", "lang": "ru"})
    form["_csrf_token"] = token
    form.update(over)
    return form


async def test_the_survey_opens_in_the_persons_language(
    client: AsyncTestClient[Any], org: Org
) -> None:
    _, tokens = await new_wave()
    page = await client.get(f"/s/{tokens['Emil Two']}")  # Emil's roster language is ru
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text and "Я ясно понимаю" in page.text
    zh = await client.get(f"/s/{tokens['Emil Two']}?lang=zh")
    assert '<html lang="zh">' in zh.text and "我清楚地知道" in zh.text
    assert "engage_session" not in page.headers.get("set-cookie", "")


async def test_answering_stores_once_and_the_link_tells_nothing_after(
    client: AsyncTestClient[Any], org: Org
) -> None:
    wave, tokens = await new_wave()
    url = f"/s/{tokens['Eve One']}"
    page = await client.get(url)
    csrf = await csrf_token(client)
    bad = await client.post(
        url, data=full_form(csrf, E03="7", ENPS="12", form_id=form_id(page.text))
    )
    assert bad.status_code == 400
    assert 'href="#q-E03"' in bad.text and 'href="#q-ENPS"' in bad.text
    assert "Выберите один из пяти ответов" in bad.text
    assert 'value="4" checked' in bad.text  # what they had chosen is kept
    assert await Response.count().where(Response.wave == wave).run() == 0
    before = await client.get(url)
    done = await client.post(url, data=full_form(csrf, comment="Мой секрет"))
    assert done.status_code == 200
    assert "Спасибо" in done.text and "остаются первые ответы" in done.text
    # the confirmation shows nothing of the answers (the next person at a kiosk sees it)
    assert "Мой секрет" not in done.text and 'value="4"' not in done.text
    assert "no-store" in done.headers["cache-control"]
    assert await Response.count().where(Response.wave == wave).run() == 1
    assert await Answer.count().where(Answer.wave == wave).run() == 12
    # after use the link opens the same ballot and confirms alike, storing nothing
    after = await client.get(url)
    assert after.status_code == before.status_code == 200
    assert without_form_id(after.text) == without_form_id(before.text)
    again = await client.post(url, data=full_form(csrf, E01="1"))
    assert again.status_code == 200 and again.text == done.text
    assert await Response.count().where(Response.wave == wave).run() == 1


async def test_posting_without_csrf_stores_nothing(client: AsyncTestClient[Any], org: Org) -> None:
    wave, tokens = await new_wave()
    response = await client.post(f"/s/{tokens['Rita Riverside']}", data=full_form("forged"))
    assert response.status_code == 403
    assert await Response.count().where(Response.wave == wave).run() == 0


async def test_unknown_token_page(client: AsyncTestClient[Any], org: Org) -> None:
    page = await client.get("/s/definitely-not-a-token")
    assert page.status_code == 404 and "not valid" in page.text


async def test_an_empty_submission_is_refused(client: AsyncTestClient[Any], org: Org) -> None:
    wave, tokens = await new_wave()
    url = f"/s/{tokens['Erin Three']}"
    page = await client.get(url)
    response = await client.post(
        url,
        data={"_csrf_token": await csrf_token(client), "lang": "zh", "form_id": form_id(page.text)},
    )
    assert response.status_code == 400 and "提交前请至少回答一个问题" in response.text
    assert await Response.count().where(Response.wave == wave).run() == 0


async def test_kiosk_code_flow(client: AsyncTestClient[Any], org: Org) -> None:
    wave, codes = await new_wave("kiosk")
    code = codes["Emil Two"]
    page = await client.get("/kiosk")
    assert page.status_code == 200
    csrf = await csrf_token(client)
    wrong = await client.post("/kiosk", data={"code": "AAAAA-AAAAA", "_csrf_token": csrf})
    assert wrong.status_code == 400 and "not valid" in wrong.text
    ballot = await client.post(
        "/kiosk", data={"code": code.lower().replace("-", " "), "lang": "en", "_csrf_token": csrf}
    )
    assert ballot.status_code == 200 and 'name="kiosk_code"' in ballot.text
    form = full_form(csrf, lang="en")
    form["kiosk_code"] = code
    done = await client.post("/kiosk/answer", data=form)
    assert done.status_code == 200 and "Thank you" in done.text
    # a kiosk returns to the code page: a link and an automatic return after 15 s
    # … in no language of the last person's: the kiosk offers every language afresh
    assert 'href="/kiosk"' in done.text and 'content="15;url=/kiosk"' in done.text
    assert "no-store" in done.headers["cache-control"]
    assert await Response.count().where(Response.wave == wave).run() == 1
    reused = await client.post("/kiosk", data={"code": code, "_csrf_token": csrf})
    assert reused.status_code == 200 and 'name="kiosk_code"' in reused.text  # tells nothing
    assert "no-store" in reused.headers["cache-control"]
    form["E01"] = "1"
    assert (await client.post("/kiosk/answer", data=form)).text == done.text
    assert await Response.count().where(Response.wave == wave).run() == 1


async def test_kiosk_guesses_are_limited_apart_from_logins(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await client.get("/kiosk")
    csrf = await csrf_token(client)
    statuses = [
        (
            await client.post(
                "/kiosk/answer",
                data={"kiosk_code": "AAAAA-AAAA" + str(i % 10), "_csrf_token": csrf},
            )
        ).status_code
        for i in range(12)
    ]
    assert statuses[-1] == 429  # the answer form counts too
    from tests.factories import login

    assert (await login(client, org.logins["hr"])).status_code == 302  # logins unaffected


async def test_answering_leaves_no_session_and_sends_no_referrer(
    client: AsyncTestClient[Any], org: Org
) -> None:
    _, tokens = await new_wave()
    before = await KeyValue.count().where(KeyValue.key.like("sessions:%")).run()
    page = await client.get(f"/s/{tokens['Rita Riverside']}")
    assert '<meta name="referrer" content="no-referrer">' in page.text
    assert await KeyValue.count().where(KeyValue.key.like("sessions:%")).run() == before


async def test_a_busy_kiosk_serves_everyone_and_limits_only_wrong_codes(
    client: AsyncTestClient[Any], org: Org
) -> None:
    import re

    from engage.web.kiosk_limit import WRONG_CODES_ALLOWED

    wave, codes = await new_wave("kiosk", unit="ROOT")
    assert len(codes) >= 8
    await client.get("/kiosk")
    csrf = await csrf_token(client)
    people = list(codes.values())[:8]
    # eight people at one tablet within a minute, one typo among them: every ballot taken
    typo = await client.post("/kiosk", data={"code": "BBBBB-BBBBB", "_csrf_token": csrf})
    assert typo.status_code == 400
    for code in people:
        ballot = await client.post("/kiosk", data={"code": code, "_csrf_token": csrf})
        assert ballot.status_code == 200, ballot.text[:200]
        found = re.search(r'name="kiosk_pass" value="([^"]+)"', ballot.text)
        assert found is not None
        form = full_form(csrf, lang="en") | {"kiosk_code": code, "kiosk_pass": found.group(1)}
        assert (await client.post("/kiosk/answer", data=form)).status_code == 200
    assert await Response.count().where(Response.wave == wave).run() == 8
    # someone guessing codes is stopped, in the kiosk's language …
    await client.get("/kiosk")
    for i in range(WRONG_CODES_ALLOWED):
        await client.post("/kiosk", data={"code": f"CCCCC-CCCC{i}", "_csrf_token": csrf})
    refused = await client.post(
        "/kiosk", data={"code": list(codes.values())[8], "lang": "ru", "_csrf_token": csrf}
    )
    assert refused.status_code == 429 and "неверных кодов" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    # … guessing through the answer form without a pass too, while a ballot opened before
    # the limit (with its pass) is still taken
    guess = full_form(csrf, lang="en") | {"kiosk_code": "DDDDD-DDDDD"}
    assert (await client.post("/kiosk/answer", data=guess)).status_code == 429
    forged = full_form(csrf, lang="en") | {
        "kiosk_code": list(codes.values())[8],
        "kiosk_pass": "99999999999.0000",
    }
    assert (await client.post("/kiosk/answer", data=forged)).status_code == 429


async def test_parallel_wrong_codes_cannot_slip_under_the_limit_and_an_open_ballot_keeps_working(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """Attack: send many wrong codes at once, so that each is checked before any is counted."""
    import asyncio
    import re

    from engage.web.kiosk_limit import WRONG_CODES_ALLOWED

    wave, codes = await new_wave("kiosk", unit="ROOT")
    await client.get("/kiosk")
    csrf = await csrf_token(client)
    code = next(iter(codes.values()))
    ballot = await client.post("/kiosk", data={"code": code, "_csrf_token": csrf})
    assert ballot.status_code == 200
    found = re.search(r'name="kiosk_pass" value="([^"]+)"', ballot.text)
    assert found is not None
    answers = await asyncio.gather(
        *(
            client.post("/kiosk", data={"code": f"EEEEE-EE{i:03d}", "_csrf_token": csrf})
            for i in range(4 * WRONG_CODES_ALLOWED)
        )
    )
    statuses = [a.status_code for a in answers]
    assert statuses.count(400) == WRONG_CODES_ALLOWED  # checked: exactly the allowance
    assert statuses.count(429) == 3 * WRONG_CODES_ALLOWED
    # the person whose ballot was already open switches its language and sends it
    switched = await client.post(
        "/kiosk",
        data={"code": code, "kiosk_pass": found.group(1), "lang": "ru", "_csrf_token": csrf},
    )
    assert switched.status_code == 200 and 'lang="ru"' in switched.text
    again = re.search(r'name="kiosk_pass" value="([^"]+)"', switched.text)
    assert again is not None
    form = full_form(csrf, lang="ru") | {"kiosk_code": code, "kiosk_pass": again.group(1)}
    assert (await client.post("/kiosk/answer", data=form)).status_code == 200
    assert await Response.count().where(Response.wave == wave).run() == 1
    # the language switch of a ballot shows no one's code as a guess: without the pass it is
    refused = await client.post("/kiosk", data={"code": code, "lang": "zh", "_csrf_token": csrf})
    assert refused.status_code == 429


async def test_a_form_sent_again_does_not_show_its_answers_again(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """Attack: at a shared device, press Back and send the previous person's form again.

    The first sending (with something to fix) comes back filled in; the same form sent
    again, before or after its owner answered, comes back empty, whoever sends it."""
    wave, tokens = await new_wave()
    url = f"/s/{tokens['Eve One']}"
    page = await client.get(url)
    csrf = await csrf_token(client)
    secret = "Мой секрет 4711"
    sent = full_form(csrf, E03="7", comment=secret, form_id=form_id(page.text))
    first = await client.post(url, data=sent)
    assert first.status_code == 400 and secret in first.text and 'value="4" checked' in first.text
    again = await client.post(url, data=sent)
    assert again.status_code == 400
    assert secret not in again.text and "checked" not in again.text
    assert 'href="#q-E03"' not in again.text  # nor what had to be fixed
    assert "уже была отправлена" in again.text
    # the owner fixes and sends the re-rendered form; then the next person tries both
    fixed = full_form(csrf, comment=secret, form_id=form_id(first.text))
    assert (await client.post(url, data=fixed)).status_code == 200
    for replay in (sent, sent | {"form_id": form_id(first.text)}):
        late = await client.post(url, data=replay | {"E03": "7"})
        assert secret not in late.text and "checked" not in late.text
    # forged or expired ids are no better
    app = SimpleNamespace(app=client.app)
    nonce = "n" * 22
    expired = f"{nonce}.{signed(app, 'ballot-form', nonce, -1)}"  # type: ignore[arg-type]
    fresh = f"{nonce}.{signed(app, 'ballot-form', nonce, 600)}"  # type: ignore[arg-type]
    unsigned = form_id(page.text).rsplit(".", 1)[0] + ".0"
    for forged in ("", "abc", "abc.99999999999.00", unsigned, expired):
        late = await client.post(url, data=sent | {"form_id": forged, "E03": "7"})
        assert secret not in late.text and "checked" not in late.text, forged
    # (the same id, signed and in time, is taken: the refusals above are for what is wrong)
    shown = await client.post(url, data=sent | {"form_id": fresh, "E03": "7"})
    assert secret in shown.text
    assert await Response.count().where(Response.wave == wave).run() == 1


async def test_a_kiosk_form_sent_again_goes_back_to_the_code_page(
    client: AsyncTestClient[Any], org: Org
) -> None:
    import re

    _, codes = await new_wave("kiosk")
    await client.get("/kiosk")
    csrf = await csrf_token(client)
    code = codes["Emil Two"]
    ballot = await client.post("/kiosk", data={"code": code, "lang": "ru", "_csrf_token": csrf})
    found = re.search(r'name="kiosk_pass" value="([^"]+)"', ballot.text)
    assert found is not None
    secret = "Тайный комментарий 815"
    sent = full_form(csrf, E05="9", comment=secret) | {
        "kiosk_code": code,
        "kiosk_pass": found.group(1),
        "form_id": form_id(ballot.text),
    }
    first = await client.post("/kiosk/answer", data=sent)
    assert first.status_code == 400 and secret in first.text
    again = await client.post("/kiosk/answer", data=sent)
    assert again.status_code == 400 and secret not in again.text
    assert 'name="code"' in again.text and code not in again.text  # the code page, empty
    assert "уже была отправлена" in again.text
