"""Logging in and out: passwords, sessions, CSRF, redirects, rate limiting."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from engage.auth.accounts import set_password
from engage.db.store import DatabaseStore
from engage.db.tables import AuditEvent, KeyValue
from tests.factories import PASSWORD, Org, csrf_token, login


async def test_login_with_right_password_starts_a_session(
    client: AsyncTestClient[Any], org: Org
) -> None:
    response = await login(client, org.logins["hr"])
    assert response.status_code in (301, 302, 303)
    assert response.headers["location"] == "/"
    me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["email"] == "hr@acme.test"
    assert me.json()["role"] == "hr"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "engage_session" in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: AsyncTestClient[Any], org: Org
) -> None:
    wrong = await login(client, org.logins["hr"], "not-the-password")
    unknown = await login(client, "nobody@acme.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match an active account" in wrong.text
    assert "do not match an active account" in unknown.text
    assert (await client.get("/api/me")).status_code == 401


async def test_a_leaver_cannot_log_in(client: AsyncTestClient[Any], org: Org) -> None:
    response = await login(client, org.logins["leaver"])
    assert response.status_code == 400


async def test_login_without_csrf_token_is_refused(client: AsyncTestClient[Any], org: Org) -> None:
    response = await client.post(
        "/login", data={"email": org.logins["hr"], "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert (await client.get("/api/me")).status_code == 401


async def test_logout_needs_csrf_and_ends_the_session(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    refused = await client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert (await client.get("/api/me")).status_code == 200
    token = await csrf_token(client)
    done = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert (await client.get("/api/me")).status_code == 401


async def test_session_is_not_reused_after_logout_with_old_cookie(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    old_session = client.cookies["engage_session"]
    token = await csrf_token(client)
    await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    client.cookies.set("engage_session", old_session)
    assert (await client.get("/api/me")).status_code == 401


async def test_pages_redirect_to_login_and_api_answers_401(client: AsyncTestClient[Any]) -> None:
    page = await client.get("/people?q=x", follow_redirects=False)
    assert page.status_code in (302, 303)
    assert page.headers["location"] == "/login?next=/people%3Fq%3Dx"
    api = await client.get("/api/units")
    assert api.status_code == 401
    assert api.headers["content-type"].startswith("application/json")


async def test_login_redirect_only_goes_to_local_paths(
    client: AsyncTestClient[Any], org: Org
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={
            "email": org.logins["hr"],
            "password": PASSWORD,
            "next": "//evil.example/phish",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_login_is_audited_without_ip(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    rows = await AuditEvent.select().where(AuditEvent.actor == "admin@acme.test").run()
    assert any(r["action"] == "login" for r in rows)
    assert all("127.0.0.1" not in r["detail"] and "testclient" not in r["detail"] for r in rows)


async def test_login_attempts_are_rate_limited(client: AsyncTestClient[Any], org: Org) -> None:
    statuses = [
        (await login(client, org.logins["employee"], f"guess-{i}")).status_code for i in range(12)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    # even the right password is refused until the minute is over
    assert (await login(client, org.logins["employee"])).status_code == 429


async def test_a_session_id_planted_before_login_is_not_used_after_it(
    client: AsyncTestClient[Any], org: Org
) -> None:
    planted = "attacker-chosen-session-id-0123456789"
    client.cookies.set("engage_session", planted, domain="testserver.local")
    response = await login(client, org.logins["hr"])
    assert response.status_code == 302
    issued = client.cookies["engage_session"]
    assert issued != planted and len(issued) >= 32
    client.cookies.clear()
    client.cookies.set("engage_session", planted, domain="testserver.local")  # the attacker
    assert (await client.get("/api/me")).status_code == 401


async def test_logging_in_again_replaces_the_old_session(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    first = client.cookies["engage_session"]
    await login(client, org.logins["admin"])
    assert client.cookies["engage_session"] != first
    assert (await client.get("/api/me")).json()["role"] == "admin"
    client.cookies.clear()
    client.cookies.set("engage_session", first, domain="testserver.local")
    assert (await client.get("/api/me")).status_code == 401


async def test_login_redirect_keeps_every_query_parameter(
    client: AsyncTestClient[Any], org: Org
) -> None:
    page = await client.get("/people?q=a&unit=L1", follow_redirects=False)
    assert page.headers["location"] == "/login?next=/people%3Fq%3Da%26unit%3DL1"
    form = await client.get(page.headers["location"])
    assert 'value="/people?q=a&amp;unit=L1"' in form.text


async def test_anonymous_visits_leave_no_session_rows(client: AsyncTestClient[Any]) -> None:
    before = await KeyValue.count().where(KeyValue.key.like("sessions:%")).run()
    for path in ("/login", "/healthz", "/", "/api/me", "/schema/openapi.json"):
        response = await client.get(path, follow_redirects=False)
        assert "engage_session" not in response.headers.get("set-cookie", "")
    assert await KeyValue.count().where(KeyValue.key.like("sessions:%")).run() == before


async def test_requests_of_a_logged_in_user_do_not_rewrite_the_session(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    for _ in range(3):
        response = await client.get("/api/me")
        assert response.status_code == 200
        assert "engage_session" not in response.headers.get("set-cookie", "")


async def test_logout_deletes_the_cookie(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    response = await client.post(
        "/logout", data={"_csrf_token": await csrf_token(client)}, follow_redirects=False
    )
    cookie = next(h for h in response.headers.get_list("set-cookie") if "engage_session" in h)
    assert "Max-Age=0" in cookie


async def test_expired_rows_are_purged(client: AsyncTestClient[Any]) -> None:
    store = DatabaseStore("sessions")
    await store.set("old", b"x", expires_in=-5)
    await store.set("fresh", b"y", expires_in=600)
    assert await store.delete_expired() == 1
    assert await store.get("fresh") == b"y"
    # the housekeeping purge takes every namespace's expired rows (kiosk counters, form ids)
    others = [DatabaseStore("kiosk_wrong"), DatabaseStore("ballot_forms")]
    for other in others:
        await other.set("old", b"x", expires_in=-5)
    await store.set("old", b"x", expires_in=-5)
    assert await DatabaseStore.delete_every_expired() == 3
    assert await store.get("fresh") == b"y"


async def test_a_claim_is_won_once_even_at_once(client: AsyncTestClient[Any]) -> None:
    import asyncio
    from datetime import timedelta

    store = DatabaseStore("ballot_forms")
    won = await asyncio.gather(*(store.claim("nonce-1", timedelta(minutes=5)) for _ in range(5)))
    assert sorted(won) == [False, False, False, False, True]
    assert await store.claim("nonce-1", timedelta(minutes=5)) is False
    assert await store.claim("nonce-2", timedelta(minutes=5)) is True


async def test_an_admin_password_reset_ends_the_users_sessions(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["regional"])
    assert (await client.get("/api/me")).status_code == 200
    await set_password(org.logins["regional"], PASSWORD)  # what the admin page and CLI call
    assert (await client.get("/api/me")).status_code == 401
    await login(client, org.logins["regional"])
    assert (await client.get("/api/me")).status_code == 200


async def test_nul_characters_get_400_not_500(client: AsyncTestClient[Any], org: Org) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={"email": "a\x00@x.example", "password": "whatever-it-is", "_csrf_token": token},
    )
    assert response.status_code == 400
    await login(client, org.logins["hr"])
    for path in ("/api/units/%00", "/org/units/%00", "/api/people?q=%00"):
        assert (await client.get(path)).status_code == 400, path


async def test_absurd_query_parameters_get_400(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    for path in (
        "/api/people?page=9223372036854775807",
        "/people?page=99999999999",
        "/api/people?q=" + "x" * 60_000,
        "/people?q=" + "x" * 5_000,
    ):
        assert (await client.get(path)).status_code == 400, path[:40]


async def test_protective_headers(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]


async def test_the_database_holds_no_usable_session_id(
    client: AsyncTestClient[Any], org: Org
) -> None:
    # Someone reading the kv_store (or a backup) must not find a cookie value to replay.
    await login(client, org.logins["hr"])
    cookie = client.cookies["engage_session"]
    rows = await KeyValue.select(KeyValue.key).where(KeyValue.key.like("sessions:%")).run()
    assert rows and all(cookie not in str(r["key"]) for r in rows)
    assert (await client.get("/api/me")).status_code == 200  # the session still works


async def test_guesses_spread_over_addresses_meet_the_per_account_limit(
    client: AsyncTestClient[Any], org: Org
) -> None:
    from engage.auth.lockout import FAILURES_ALLOWED
    from engage.db.store import DatabaseStore

    for i in range(FAILURES_ALLOWED):
        await DatabaseStore("rate_limit").delete_all()  # as if each came from a new address
        assert (await login(client, org.logins["employee"], f"guess-{i}")).status_code == 400
    await DatabaseStore("rate_limit").delete_all()
    refused = await login(client, org.logins["employee"])  # even the right password
    assert refused.status_code == 429 and "Too many wrong passwords for this email" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    # an email no account has is counted alike, so the refusal tells nothing
    for i in range(FAILURES_ALLOWED):
        await DatabaseStore("rate_limit").delete_all()
        await login(client, "nobody@acme.test", f"guess-{i}")
    await DatabaseStore("rate_limit").delete_all()
    assert (await login(client, "nobody@acme.test", "x")).status_code == 429
    assert (await login(client, org.logins["hr"])).status_code == 302  # others are not locked
    await DatabaseStore("login_failures").delete_all()


async def test_parallel_wrong_passwords_cannot_slip_under_the_per_account_limit(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """Attack: send many guesses for one account at once, each checked before any counted."""
    import asyncio

    from engage.auth.lockout import FAILURES_ALLOWED

    async def guess(i: int) -> int:
        await DatabaseStore("rate_limit").delete_all()  # as if each came from a new address
        return (await login(client, org.logins["employee"], f"guess-{i}")).status_code

    statuses = await asyncio.gather(*(guess(i) for i in range(3 * FAILURES_ALLOWED)))
    assert statuses.count(400) <= FAILURES_ALLOWED, statuses
    assert statuses.count(429) >= 2 * FAILURES_ALLOWED
    await DatabaseStore("rate_limit").delete_all()
    assert (await login(client, org.logins["employee"])).status_code == 429
    await DatabaseStore("login_failures").delete_all()


async def test_guessing_the_current_password_on_the_account_page_is_limited_too(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """Attack: at a logged-in kiosk or an unlocked screen, guess the password through the
    change-password form (a session does not need it, but it opens other devices)."""
    from engage.auth.lockout import FAILURES_ALLOWED

    await login(client, org.logins["regional"])
    token = await csrf_token(client)
    form = {"new_password": "another long password", "confirm_password": "another long password"}
    for i in range(FAILURES_ALLOWED):
        wrong = await client.post(
            "/account/password",
            data={**form, "current_password": f"guess-{i}", "_csrf_token": token},
        )
        assert wrong.status_code == 400
    refused = await client.post(
        "/account/password", data={**form, "current_password": PASSWORD, "_csrf_token": token}
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # the login page counts the same guesses
    await client.post("/logout", headers={"x-csrftoken": token})
    await DatabaseStore("rate_limit").delete_all()
    assert (await login(client, org.logins["regional"])).status_code == 429
    await DatabaseStore("login_failures").delete_all()
    assert (await login(client, org.logins["regional"])).status_code == 302


async def test_a_csrf_token_planted_from_elsewhere_does_not_work_in_a_session(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """Attack: someone who can set a cookie in HR's browser (a sibling subdomain) plants a
    CSRF token of their own and sends a form with it; the double-submit check alone would
    accept the pair, but the session was started with another token."""
    from datetime import timedelta

    from engage import clock
    from engage.db.tables import Wave

    await login(client, org.logins["hr"])
    own = await csrf_token(client)
    session = str(client.cookies["engage_session"])
    client.cookies.clear()
    await client.get("/login")  # the attacker's own visit: a valid token of their own
    planted = str(client.cookies["engage_csrf"])
    assert planted != own

    def browser_holds(token: str) -> None:
        client.cookies.clear()
        client.cookies.set("engage_session", session)
        client.cookies.set("engage_csrf", token)

    form = {
        "name": "Planted pulse",
        "opens_on": clock.today().isoformat(),
        "closes_on": (clock.today() + timedelta(days=7)).isoformat(),
        "units": ["L1"],
        "items": ["E01", "E02"],
    }
    browser_holds(planted)
    refused = await client.post(
        "/waves/", data={**form, "_csrf_token": planted}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert await Wave.count().where(Wave.name == "Planted pulse").run() == 0
    # the session's own token still works (and reading pages never needed it)
    browser_holds(own)
    done = await client.post("/waves/", data={**form, "_csrf_token": own}, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert await Wave.count().where(Wave.name == "Planted pulse").run() == 1


async def test_a_browser_restart_keeps_the_session_usable(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """The CSRF cookie ends with the browser, the session cookie later: after a restart the
    first page gives a fresh token, which the session takes (a planted one it does not)."""
    await login(client, org.logins["hr"])
    old = await csrf_token(client)
    session = str(client.cookies["engage_session"])
    client.cookies.clear()
    client.cookies.set("engage_session", session)  # the restarted browser
    page = await client.get("/account")
    assert page.status_code == 200
    fresh = str(client.cookies["engage_csrf"])
    assert fresh != old
    out = await client.post("/logout", data={"_csrf_token": fresh}, follow_redirects=False)
    assert out.status_code in (302, 303) and out.headers["location"] == "/login"
    # and the old token (say, copied by someone before the restart) is no longer the one
    client.cookies.clear()
    await login(client, org.logins["hr"])
    session = str(client.cookies["engage_session"])
    client.cookies.clear()
    client.cookies.set("engage_session", session)
    client.cookies.set("engage_csrf", old)
    refused = await client.post("/logout", data={"_csrf_token": old}, follow_redirects=False)
    assert refused.status_code == 403
