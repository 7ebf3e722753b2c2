"""The comparison part of the placement's case file (横评, R-U6, ``placements/_comparison.html``) and its
PDF (``/placements/{id}/comparison.pdf``, Chinese by default, English with ``?lang=en``, WeasyPrint like
the other PDFs). Both render :class:`tandem.placement.comparison.Comparison` — insurer names, declared
facts and suppressed figures only — through the same macros (``placements/_comparison_table.html``).
The insured picks an insurer or asks the broker, the broker's account manager recommends one with
reasons, the insured confirms; every move goes through :func:`tandem.placement.comparison.choose`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.claim.documents import html_to_pdf
from tandem.deps import ClockDep, SessionDep
from tandem.kit import i18n
from tandem.kit.errors import ActionNotAllowed, Conflict, TandemError
from tandem.kit.i18n import N_, gettext
from tandem.kit.limits import REASON_MAX
from tandem.placement import comparison
from tandem.placement import comparison_stats as stats
from tandem.placement.models import Placement
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.placements import NOTICES, PANELS, done, failed
from tandem.web.render import environment

router = APIRouter(include_in_schema=False)
ANCHOR = "comparison"
NOTICES["insurer_pick"] = N_("Your choice of insurer is recorded; the broker approaches it for you.")
NOTICES["insurer_ask"] = N_("The broker is asked to recommend an insurer.")
NOTICES["insurer_recommend"] = N_("The recommendation and its reasons are recorded; the insured confirms it.")
NOTICES["insurer_confirm"] = N_("The recommended insurer is confirmed; the broker approaches it for you.")
NOTICES["weights"] = N_("The weights are published; every comparison of your clients uses them.")


def view(session: Session, comp: comparison.Comparison, locale: str, may_weigh: bool = False) -> dict[str, Any]:
    """What the partial and the PDF show (nothing :class:`Comparison` does not hold); the components'
    names and scoring rules translated here (they hold a literal %)."""
    chosen_at = comp.choice.chosen_at if comp.state == "chosen" and comp.choice is not None else None
    return {
        "version": comp.shortlist_version,
        "lines": comp.lines,
        "columns": comp.columns,
        "components": [
            {
                "code": c.code,
                "name": gettext(comparison.NAMES[c.code], locale),
                "scoring": gettext(comparison.SCORING[c.code], locale),
            }
            for c in stats.COMPONENTS
        ],
        "weights": comp.weights,
        "units": comparison.UNITS,
        "min_insureds": stats.MIN_INSUREDS,
        "min_components": stats.MIN_COMPONENTS,
        "choice": {**comparison.choice_json(session, comp), "chosen_at": chosen_at},
        "actions": comp.actions,
        "reason_max": REASON_MAX,
        "may_weigh": may_weigh,
    }


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    """The context of ``placements/_comparison.html`` (registered in the case file's ``PANELS``): for the
    insured, the broker and the broker's adjuster once a shortlist is saved."""
    try:
        comp = comparison.comparison(session, actor, placement.id, now)
    except (ActionNotAllowed, Conflict):
        return {"comparison": None}
    weigh = comparison.may_set_weights(actor) and comp.placement.broker_id == actor.org_id
    return {"comparison": view(session, comp, locale, weigh)}


PANELS.append(panel)


@router.post("/placements/{placement_id}/comparison/choice")
def choose(
    placement_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in ("action", "insurer_id", "reasons")})
    action = state.values["action"]
    try:
        comparison.choose(
            session,
            actor,
            placement_id,
            action,
            now=clock.now(),
            insurer_id=state.values["insurer_id"] or None,
            reasons=state.values["reasons"],
        )
    except TandemError as exc:
        return failed(request, actor, session, clock, placement_id, exc, "comparison", state, "insurer_id")
    return done(placement_id, f"insurer_{action}", ANCHOR)


@router.post("/placements/{placement_id}/comparison/weights")
def weights(
    placement_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The broker's account manager publishes the weights from the comparison card (they apply to every
    comparison of the broker's clients)."""
    codes = [c.code for c in stats.COMPONENTS]
    state = FormState(values={f"w_{code}": forms.text(form, f"w_{code}", 5) for code in codes})
    given: dict[str, object] = {}
    for code in codes:
        raw = state.values[f"w_{code}"]
        given[code] = int(raw) if raw.isdigit() else raw
    try:
        placement = comparison.comparison(session, actor, placement_id, clock.now()).placement
        if placement.broker_id != actor.org_id:
            raise ActionNotAllowed()
        comparison.set_weights(session, actor, given, now=clock.now())
    except TandemError as exc:
        rename = {f"weights.{code}": f"w_{code}" for code in codes} | {"weights": f"w_{codes[0]}"}
        return failed(request, actor, session, clock, placement_id, exc, "weights", state, f"w_{codes[0]}", rename)
    return done(placement_id, "weights", ANCHOR)


def comparison_html(session: Session, comp: comparison.Comparison, locale: str, now: dt.datetime) -> str:
    placement = comp.placement
    return (
        environment(locale)
        .get_template("placements/comparison_pdf.html")
        .render(placement=placement, cmp=view(session, comp, locale), lang=i18n.HTML_LANG[locale], now=now)
    )


@router.get("/placements/{placement_id}/comparison.pdf")
def comparison_pdf(
    placement_id: str,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN",
) -> Response:
    """The comparison as a PDF for the readers of the page: Chinese by default, English with ``?lang=en``."""
    comp = comparison.comparison(session, actor, placement_id, clock.now())
    pdf = html_to_pdf(comparison_html(session, comp, lang, clock.now()))
    suffix = "-en" if lang == "en" else ""
    name = f"{comp.placement.number}-comparison-v{comp.shortlist_version}{suffix}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
