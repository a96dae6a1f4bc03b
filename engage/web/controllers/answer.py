"""The pages employees use: answer by link (``/s/<token>``) or by kiosk code (``/kiosk``).

No login, no session, no JavaScript needed. Nothing here logs the token or the address.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Template

from engage.survey.answering import Ballot, Credential, Problem, find_ballot, submit_form
from engage.web import form_once, kiosk_limit
from surveys.answers import MAX_COMMENT, Invalid
from surveys.items import SCALE, default_bank

PROBLEM_STATUS = {
    Problem.unknown: 404,
    Problem.closed: 410,
    Problem.not_open: 403,
}
#: Ballots, confirmations and code pages are never kept by a browser or a proxy: on a
#: shared kiosk, Back or the history must not bring the previous person's answers back.
NO_STORE = CacheControlHeader(no_store=True, no_cache=True, private=True)


def _context(
    request: Request[Any, Any, Any], ballot: Ballot, action: str, **extra: Any
) -> dict[str, Any]:
    bank = default_bank()
    language = bank.language(ballot.language)
    return {
        "ballot": ballot,
        "L": language,
        "languages": [(code, lang.name) for code, lang in sorted(bank.languages.items())],
        "scale": SCALE,
        "enps_range": range(11),
        "action": action,
        "max_comment": MAX_COMMENT,
        "errors": {},
        "values": {},
        "notice": None,
        "form_id": form_once.new_form_id(request),
        **extra,
    }


def _problem_page(problem: Problem, language: str | None) -> Template:
    lang = default_bank().language(language or "en")
    return Template(
        "answer_problem.html",
        context={"L": lang, "message": lang.t(problem.value)},
        status_code=PROBLEM_STATUS[problem],
    )


async def _show(
    request: Request[Any, Any, Any],
    credential: Credential | None,
    language: str | None,
    action: str,
) -> Template:
    if credential is None:
        return _problem_page(Problem.unknown, language)
    found = await find_ballot(credential, language)
    if isinstance(found, Problem):
        return _problem_page(found, language)
    return Template("answer.html", context=_context(request, found, action))


async def _take(
    request: Request[Any, Any, Any],
    credential: Credential | None,
    form: dict[str, str],
    action: str,
    kiosk: bool = False,
) -> Template:
    language = form.get("lang") or None
    if credential is None:
        return _problem_page(Problem.unknown, language)
    outcome = await submit_form(credential, form, language)
    if isinstance(outcome, Problem):
        return _problem_page(outcome, language)
    if isinstance(outcome, Invalid):
        # Filled in again only the first time this form arrives: sent again (Back on a
        # shared kiosk), its answers are not shown a second time, whoever sends it.
        first = await form_once.first_use(request, form.get("form_id", ""))
        resent = default_bank().language(language or "en").t("form_resent")
        if not first and kiosk:
            return _kiosk_page(language, "", resent, status_code=400)
        found = await find_ballot(credential, language)
        if isinstance(found, Problem):
            return _problem_page(found, language)
        shown = {"errors": dict(outcome.errors), "values": form} if first else {"notice": resent}
        return Template(
            "answer.html", context=_context(request, found, action, **shown), status_code=400
        )
    # A sent form is used up, so sending it again can never show its answers either.
    await form_once.first_use(request, form.get("form_id", ""))
    # Nothing of the answers is shown back: the next person at a kiosk sees a page that is
    # the same whoever answered what (and whether the credential had been used before).
    return Template(
        "answer_thanks.html",
        context={"L": default_bank().language(outcome.language), "kiosk": kiosk},
    )


class AnswerController(Controller):
    """Answering by one-time link."""

    path = "/s"
    include_in_schema = False
    opt = {"public": True}
    cache_control = NO_STORE

    @get("/{token:str}", name="answer")
    async def show(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        lang: Annotated[str | None, QueryParameter(max_length=16)] = None,
    ) -> Template:
        """The survey in the person's language (or the one they switched to)."""
        return await _show(request, Credential.from_token(token), lang, f"/s/{token}")

    @post("/{token:str}")
    async def take(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Store the answers (once) or show the form again with what to fix."""
        return await _take(request, Credential.from_token(token), data, f"/s/{token}")


def _kiosk_page(
    lang: str | None, code: str, error: str | None, status_code: int = 200, **extra: Any
) -> Template:
    """The kiosk's code page in its language, with a message when there is one."""
    return Template(
        "kiosk.html",
        context={
            "L": default_bank().language(lang or "en"),
            "error": error,
            "code": code,
            "languages": sorted(default_bank().languages.items()),
        },
        status_code=status_code,
        **extra,
    )


def _kiosk_refused(lang: str | None, code: str) -> Template:
    """Too many wrong codes from this address: the code page, saying so, in its language."""
    language = default_bank().language(lang or "en")
    minutes = int(kiosk_limit.WINDOW.total_seconds() // 60)
    return _kiosk_page(
        lang,
        code,
        language.t("kiosk_too_many", minutes=minutes),
        status_code=429,
        headers={"Retry-After": str(int(kiosk_limit.WINDOW.total_seconds()))},
    )


class KioskController(Controller):
    """Answering with a short code on a shared tablet."""

    path = "/kiosk"
    include_in_schema = False
    opt = {"public": True}
    cache_control = NO_STORE

    @get("/", name="kiosk")
    async def start(
        self, lang: Annotated[str | None, QueryParameter(max_length=16)] = None
    ) -> Template:
        """Ask for the code."""
        return _kiosk_page(lang, "", None)

    @post("/", name="kiosk_code")
    async def code(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Open the survey behind a code, or ask again (wrong codes are limited per client)."""
        code = data.get("code", "")[:40]
        lang = data.get("lang") or None
        credential = Credential.from_kiosk_code(code)
        # a ballot already opened (switching its language) carries its pass: not a guess
        passed = credential is not None and kiosk_limit.valid_pass(
            request, credential.digest, data.get("kiosk_pass", "")
        )
        if not passed and not await kiosk_limit.attempt(request):
            return _kiosk_refused(lang, code)
        found = await find_ballot(credential, lang) if credential else Problem.unknown
        if isinstance(found, Problem) or credential is None:
            language = default_bank().language(lang or "en")
            return _kiosk_page(lang, code, language.t("kiosk_bad_code"), status_code=400)
        if not passed:
            await kiosk_limit.right(request)
        return Template(
            "answer.html",
            context=_context(
                request,
                found,
                "/kiosk/answer",
                kiosk_code=code,
                kiosk_pass=kiosk_limit.pass_for(request, credential.digest),
            ),
        )

    @post("/answer", name="kiosk_answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Store the answers given after entering a code: always, with the pass the code's
        page gave (nobody loses a filled-in ballot); without one, it is a guess."""
        code = data.get("kiosk_code", "")[:40]
        credential = Credential.from_kiosk_code(code)
        passed = credential is not None and kiosk_limit.valid_pass(
            request, credential.digest, data.get("kiosk_pass", "")
        )
        if not passed and not await kiosk_limit.attempt(request):
            return _kiosk_refused(data.get("lang") or None, "")
        page = await _take(request, credential, data, "/kiosk/answer", kiosk=True)
        if page.template_name != "answer_problem.html" and not passed:
            await kiosk_limit.right(request)
        if page.template_name == "answer.html":
            page.context["kiosk_code"] = code
            if credential is not None:
                page.context["kiosk_pass"] = kiosk_limit.pass_for(request, credential.digest)
        return page
