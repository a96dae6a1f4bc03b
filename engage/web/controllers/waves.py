"""Wave pages: HR creates, opens, closes and hands out codes; managers see counts in scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from engage import audit, clock
from engage.auth.guards import current_user, requires_role
from engage.auth.identity import CurrentUser
from engage.csvio import parse_iso_date
from engage.db.tables import SurveyItem, Wave, WaveAudience
from engage.mail import delivery_status
from engage.org.queries import find_unit, flatten, unit_tree
from engage.settings import get_settings
from engage.survey.delivery import DeliveryError, delivery_counts, issue
from engage.survey.pulses import create_pulse, list_pulses, stop_pulse
from engage.survey.waves import (
    WaveError,
    WaveRow,
    WaveSpec,
    close_wave,
    create_wave,
    list_waves,
    open_wave,
    participation_counted_at,
    unit_rates,
)
from engage.web.lanes import NO_COMPRESSION
from engage.web.pdf import html_to_pdf, pdf_slot
from surveys.items import ELEMENTS
from surveys.participation import RECOUNT_EVERY_HOURS

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def _items() -> list[dict[str, Any]]:
    rows = (
        await SurveyItem.select()
        .where(SurveyItem.active == True)
        .order_by(SurveyItem.position)
        .run()
    )
    for r in rows:
        r["label"] = ELEMENTS.get(
            r["code"], "Recommend working here" if r["kind"] == "enps" else r["code"]
        )
    return list(rows)


async def _list_page(
    request: Request[Any, Any, Any],
    form: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    user = current_user(request)
    waves = await visible_waves(user)
    return Template(
        "waves.html",
        context={
            "waves": waves,
            "pulses": await list_pulses() if user.sees_whole_org else [],
            "can_manage": user.sees_whole_org,
            "units": flatten(await unit_tree(None)) if user.sees_whole_org else [],
            "items": await _items(),
            "form": form
            or {
                "name": f"Pulse {clock.today():%B %Y}",
                "opens_on": clock.today().isoformat(),
                "closes_on": (clock.today() + timedelta(days=14)).isoformat(),
            },
            "error": error,
        },
        status_code=status,
    )


async def visible_waves(user: CurrentUser) -> list[WaveRow]:
    """All waves for HR; for a manager, the waves whose audience reaches their area."""
    waves = await list_waves()
    if user.sees_whole_org:
        return waves
    mine = await waves_reaching(user.scope_path() or "")
    return [w for w in waves if w.id in mine]


async def waves_reaching(scope_path: str) -> set[int]:
    """Waves whose audience includes part of the subtree at ``scope_path``."""
    rows = await WaveAudience.select(WaveAudience.wave, WaveAudience.unit._.path).run()
    return {
        r["wave"]
        for r in rows
        if r["unit.path"].startswith(scope_path) or scope_path.startswith(r["unit.path"])
    }


def public_base(request: Request[Any, Any, Any]) -> str:
    """The address employees reach engage at (``ENGAGE_PUBLIC_URL``, else this request's)."""
    return get_settings().public_url or str(request.base_url).rstrip("/")


async def _detail_page(
    request: Request[Any, Any, Any], wave_id: int, message: str | None = None
) -> Template:
    """A wave's settings, audience, actions and response counts within the viewer's scope."""
    user = current_user(request)
    wave = await Wave.select().where(Wave.id == wave_id).first().run()
    if wave is None:
        raise NotFoundException(f"no wave {wave_id}")
    scope = user.scope_path()
    if scope is not None and wave_id not in await waves_reaching(scope):
        raise NotFoundException(f"no wave {wave_id}")
    audience = [
        a["unit.name"] if scope is None or a["unit.path"].startswith(scope) else user.unit_name
        for a in await WaveAudience.select(WaveAudience.unit._.name, WaveAudience.unit._.path)
        .where(WaveAudience.wave == wave_id)
        .run()
    ]
    rates = await unit_rates(wave_id, user.scope_path())
    mailing = user.sees_whole_org and wave["status"] == "open"
    return Template(
        "wave.html",
        context={
            "wave": wave,
            "audience": list(dict.fromkeys(audience)),
            "items": [c for c in wave["item_codes"].split(",") if c],
            "elements": ELEMENTS,
            "rates": rates,
            "counted_at": await participation_counted_at(wave_id),
            "recount_hours": RECOUNT_EVERY_HOURS,
            "k": wave["min_group_size"] or 5,
            "can_manage": user.sees_whole_org,
            "units": flatten(await unit_tree(None)) if user.sees_whole_org else [],
            "message": message,
            "delivery": await delivery_counts(wave_id) if mailing else None,
            "mail_status": await delivery_status() if mailing else None,
            "mail_configured": bool(get_settings().smtp_host),
        },
    )


class WavesController(Controller):
    """Waves: list and detail for managers and HR; changes for HR only."""

    path = "/waves"
    guards = [requires_role("manager")]
    include_in_schema = False

    @get("/", name="waves")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Every wave with its status and counts; HR also gets the form for a new one."""
        return await _list_page(request)

    @post("/", name="wave_create", guards=[requires_role("hr")])
    async def create(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        """Create a draft wave from the form; the form comes back with the problem if any."""
        opens_on = parse_iso_date(str(data.get("opens_on", "")))
        closes_on = parse_iso_date(str(data.get("closes_on", "")))
        if opens_on is None or closes_on is None:
            return await _list_page(request, data, "Dates: use the date pickers (YYYY-MM-DD).", 400)
        spec = WaveSpec(
            name=str(data.get("name", "")),
            unit_codes=tuple(_as_list(data.get("units"))),
            opens_on=opens_on,
            closes_on=closes_on,
            item_codes=tuple(_as_list(data.get("items"))),
        )
        repeat = str(data.get("repeat", ""))
        if repeat not in ("", "monthly"):
            return await _list_page(request, data, f"Repeat: {repeat!r} is not monthly.", 400)
        try:
            if repeat == "monthly":
                _, wave_id = await create_pulse(spec, current_user(request).email)
            else:
                wave_id = await create_wave(spec, current_user(request).email)
        except WaveError as exc:
            return await _list_page(request, data, str(exc), 400)
        return Redirect(path=f"/waves/{wave_id}")

    @post(
        "/pulses/{pulse_id:int}/stop",
        name="pulse_stop",
        guards=[requires_role("hr")],
        status_code=200,
    )
    async def stop(self, request: Request[Any, Any, Any], pulse_id: FromPath[int]) -> Template:
        """Stop a monthly pulse (waves already created stay)."""
        try:
            await stop_pulse(pulse_id, current_user(request).email)
        except WaveError as exc:
            return await _list_page(request, None, str(exc), 404)
        return await _list_page(request)

    @get("/{wave_id:int}", name="wave")
    async def detail(self, request: Request[Any, Any, Any], wave_id: FromPath[int]) -> Template:
        """A wave's settings, audience, actions and response counts within the viewer's scope."""
        return await _detail_page(request, wave_id)

    @post("/{wave_id:int}/open", name="wave_open", guards=[requires_role("hr")], status_code=200)
    async def open(self, request: Request[Any, Any, Any], wave_id: FromPath[int]) -> Template:
        """Open a draft now: thresholds and unit membership are frozen."""
        try:
            invited = await open_wave(wave_id, current_user(request).email)
        except WaveError as exc:
            return await _detail_page(request, wave_id, str(exc))
        return await _detail_page(request, wave_id, f"Opened: {invited} people invited.")

    @post("/{wave_id:int}/close", name="wave_close", guards=[requires_role("hr")], status_code=200)
    async def close(self, request: Request[Any, Any, Any], wave_id: FromPath[int]) -> Template:
        """Close now: no more answers; invitations are reduced to counts."""
        try:
            await close_wave(wave_id, current_user(request).email)
        except WaveError as exc:
            return await _detail_page(request, wave_id, str(exc))
        return await _detail_page(request, wave_id, "Closed.")

    @post(
        "/{wave_id:int}/sheet",
        name="wave_sheet",
        guards=[requires_role("hr")],
        status_code=200,
        opt={NO_COMPRESSION: True},
    )
    async def sheet(
        self, request: Request[Any, Any, Any], wave_id: FromPath[int], data: FormData
    ) -> Template | Response[bytes]:
        """A PDF (or web page) of slips: name, kiosk code and QR link for everyone selected.

        Printing makes new codes and links: earlier ones for the same people stop working.
        """
        unit_code = str(data.get("unit", "") or "")
        unit_path = None
        if unit_code:
            node = await find_unit(unit_code, None)
            if node is None:
                raise NotFoundException(f"no unit {unit_code!r}")
            unit_path = node.path
        without_email = data.get("who", "no-email") == "no-email"
        wave = await Wave.select(Wave.name, Wave.closes_on).where(Wave.id == wave_id).first().run()
        if wave is None:
            raise NotFoundException(f"no wave {wave_id}")
        try:
            codes = await issue(wave_id, "kiosk", unit_path, without_email)
            links = {
                i.person_id: i.secret
                for i in await issue(wave_id, "slip", unit_path, without_email)
            }
        except DeliveryError as exc:
            return await _detail_page(request, wave_id, str(exc))
        # printed slips are credentials: who printed how many, for whom, is on the record
        await audit.record(
            current_user(request).email,
            "wave.slips",
            f"wave {wave_id}: {len(codes)} slips for {unit_code or 'the whole audience'}"
            f" ({'people without email' if without_email else 'everyone'})",
        )
        base = public_base(request)
        slips = [
            {
                "name": c.name,
                "unit": c.unit_name,
                "code": c.secret,
                "qr": segno.make(f"{base}/s/{links[c.person_id]}", error="m").svg_inline(scale=3),
            }
            for c in codes
        ]
        context = {"wave": wave, "slips": slips, "kiosk_url": f"{base}/kiosk"}
        if data.get("format") == "html":
            return Template("wave_sheet.html", context=context)
        engine = request.app.template_engine
        assert engine is not None
        html = engine.get_template("wave_sheet.html").render(**context, pdf=True)
        async with pdf_slot():
            pdf = await html_to_pdf(html)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="slips-wave-{wave_id}.pdf"'},
        )
