"""The screening part of the placement's case file (初筛, R-U5, ``placements/_screening.html``): the
broker's staff see the products kept and those left out with their reasons in words, and save the
shortlist as a new version. Nobody else on the case sees this card (the reasons name other insurers).
Every write goes through :mod:`tandem.placement.screening`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.deps import ClockDep, SessionDep
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_, gettext
from tandem.party import cover
from tandem.placement import risk, screening
from tandem.placement.models import Placement
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor
from tandem.web.placements import NOTICES, PANELS, done, failed

router = APIRouter(include_in_schema=False)
ANCHOR = "screening"
NOTICES["shortlist_saved"] = N_("The shortlist is saved on the case as a new version.")


def _rows(outcomes: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    """Outcomes as the card shows them, each reason in words in the reader's language."""
    return [
        {**o, "texts": [screening.describe(r["code"], r["params"], lambda m: gettext(m, locale)) for r in o["reasons"]]}
        for o in outcomes
    ]


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    """The context of ``placements/_screening.html`` (registered in the case file's ``PANELS``)."""
    if placement.status not in screening.SCREENABLE or not risk.is_broker(session, actor, placement):
        return {"screening": None}
    saved = screening.shortlists(session, placement.id)
    if saved:  # what is on the case: the latest version, as it was saved
        latest = saved[0]
        criteria, kept, excluded = latest.criteria, latest.kept, latest.excluded
    else:  # a preview with the default thresholds
        result = screening.run(session, placement, screening.Settings())
        criteria = screening.criteria_json(result)
        kept = [screening.outcome_json(o) for o in result.kept]
        excluded = [screening.outcome_json(o) for o in result.excluded]
    return {
        "screening": {
            "criteria": criteria,
            "kept": _rows(kept, locale),
            "excluded": _rows(excluded, locale),
            "saved": saved[0] if saved else None,
            "may_save": not actor.read_only,
            "perils": list(cover.PERILS),
        }
    }


PANELS.append(panel)


@router.post("/placements/{placement_id}/shortlist")
def save(
    placement_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(values={n: forms.text(form, n, 20) for n in ("min_solvency", "ratings", "fund_mode")})
    try:
        ratio = Decimal(state.values["min_solvency"]) if state.values["min_solvency"] else None
    except ArithmeticError:
        ratio = Decimal("NaN")  # refused by the check, beside the field
    ratings = [r for r in state.values["ratings"].replace(",", " ").split() if r] or None
    perils = [v for v in form.getlist("perils") if isinstance(v, str)][:40] or None  # none: the risk points'
    try:
        settings = screening.check_settings(ratio, ratings, state.values["fund_mode"] or None, perils)
        screening.save_shortlist(session, actor, placement_id, settings, now=clock.now())
    except TandemError as exc:
        return failed(request, actor, session, clock, placement_id, exc, "screening", state, "min_solvency")
    return done(placement_id, "shortlist_saved", ANCHOR)
