"""Staged risk evaluation of a bound policy (阶段性风险评价, R-U9).

The broker proposes the interval (e.g. every 6 months from the policy's start) and how many days ahead of
each date the re-survey opens; the insured agrees (``proposed`` → ``agreed``). A durable timer (an outbox
job due at the opening time) then opens each re-survey for the broker's adjuster firm — the firm that did
the placement's pre-assessment — which files the 《阶段性风险评价报告》 (report kind ``staged_risk``, signed
and immutable like every report) on the placement's case: every earlier open risk point with its state
(remedied / not remedied / worse, with the evidence) and the new points found. The report closes the
insured's tasks on remedied points (and the placement's remediation tasks, ``risk.check_tasks``), opens a
task for every open point without one, due at the next re-survey, and schedules that re-survey. Each task
has two timers: a reminder to the insured a week ahead, and the check on its date that marks a commitment
missed — shown to the broker and, where the plan (the policy) says so, to the insurer.

Who reads (everything else 404): the parties to the policy (``scope.get_policy``) and the broker's
adjuster firm that re-surveys. Every state change goes through a transition table and writes an audit
event on the placement case's chain in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role
from tandem.case import audience
from tandem.case import service as case_service
from tandem.case.models import Case
from tandem.inforce.models import StagedPlan, StagedSurvey, StagedTask
from tandem.kit import transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_, translate_message
from tandem.notification.outbox import Job, enqueue_all
from tandem.notification.service import org_users as _users
from tandem.notification.service import tell as _tell
from tandem.placement import risk
from tandem.placement.models import Placement
from tandem.placement.risk_models import TaskStatus
from tandem.policy.models import Policy, PolicyStatus
from tandem.premium.engine import add_months
from tandem.report import service as report_service
from tandem.report.models import Report
from tandem.report.schemas import RISK_LEVELS, validate_content

KIND = "staged_risk"
BROKER_SIDE = frozenset({Role.BROKER_ACCOUNT_MANAGER.value, Role.BROKER_RISK_EVALUATOR.value})
INSURED_SIDE = frozenset({Role.INSURED_CONTACT.value})
FIRM_SIDE = frozenset({Role.ADJUSTER.value, Role.ADJUSTER_FIRM_ADMIN.value})
SYSTEM: frozenset[str] = frozenset()  # a timer or a submitted report moves it, nobody by hand

PLAN_RULES: transition.Table = {
    ("proposed", "propose"): transition.Rule("proposed", BROKER_SIDE),
    ("agreed", "propose"): transition.Rule("proposed", BROKER_SIDE),
    ("proposed", "agree"): transition.Rule("agreed", INSURED_SIDE),
}
SURVEY_RULES: transition.Table = {
    ("scheduled", "reschedule"): transition.Rule("scheduled", SYSTEM),
    ("scheduled", "open"): transition.Rule("open", SYSTEM),
    ("open", "report"): transition.Rule("reported", FIRM_SIDE),
}
TASK_RULES: transition.Table = {
    ("open", "miss"): transition.Rule("missed", SYSTEM),
    ("open", "remedy"): transition.Rule("done", SYSTEM),
    ("missed", "remedy"): transition.Rule("done", SYSTEM),
}
LIVE_TASK = ("open", "missed")
OPEN_STATES = ("not_remedied", "worse", "new")
REMIND_DAYS = 7  # the insured is reminded a week before a task falls due
MAX_INTERVAL, MAX_LEAD = 12, 60

# What can be wrong (msgids: shown translated beside the field on the pages, in English by the API).
BAD_INTERVAL = N_("Choose an interval from 1 to 12 months.")
BAD_LEAD = N_("Choose from 1 to 60 days.")
PAST_PERIOD = N_("The first re-survey would fall after the policy ends.")
NOT_BOUND = N_("Only a policy bound from a placement has a risk register.")
NOT_IN_FORCE = N_("The policy is not in force.")
NO_PLAN = N_("No staged risk evaluation has been proposed yet.")
NO_SURVEY = N_("No re-survey is open for your firm on this policy.")
NOT_OPEN_POINT = N_("Not an open risk point of this policy.")
MISSING_POINTS = N_("Every open risk point must be listed: {refs}.")
LEVEL_NEEDED = N_("Give the level the point has now.")
REF_TAKEN = N_("This ref is already used by an earlier risk point.")
NOT_SAVED = N_("Nothing was saved: correct the fields named.")

OPENED_SUBJECT = N_("Re-survey {stage} of policy {policy} is open")
OPENED_BODY = N_("The staged risk re-survey of policy {policy} is due on {date}; file the staged risk report.")
PROPOSED_SUBJECT = N_("Staged risk evaluation of policy {policy} proposed")
PROPOSED_BODY = N_("The broker proposes a re-survey every {months} months; please agree it on the policy's risk page.")
REPORT_SUBJECT = N_("Staged risk report {report} of policy {policy}")
REPORT_BODY = N_("{open} risk points are open; each has a task due on {date}.")
REMIND_SUBJECT = N_("Risk point {ref} of policy {policy} is due on {date}")
REMIND_BODY = N_("Remedy risk point {ref} ({title}) by {date}; the next re-survey checks it.")
MISSED_SUBJECT = N_("Policy {policy}: the commitment on risk point {ref} was missed")
MISSED_BODY = N_("Risk point {ref} ({title}) was due to be remedied by {date}.")


# ---- reading ---------------------------------------------------------------------------------------


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def survey_firm(placement: Placement) -> uuid.UUID | None:
    """The broker's adjuster firm that re-surveys: the firm instructed for the pre-assessment."""
    return placement.adjuster_firm_id


def readable_policy(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, Placement]:
    """A policy bound from a placement as the actor may read its risk register: the parties to the policy
    and the broker's adjuster firm on the placement's case; 404 for anybody else (and for a policy that
    came from no placement)."""
    try:
        policy = scope.get_policy(session, actor, policy_id)
    except NotFound:
        found = session.get(Policy, _uuid(policy_id))
        if found is None or actor.org_kind != OrgKind.ADJUSTER_FIRM or found.placement_id is None:
            raise
        placement = session.get(Placement, found.placement_id)
        if placement is None or survey_firm(placement) != actor.org_id:
            raise
        scope.get_case(session, actor, placement.case_id)  # the firm still takes part in the placement's case
        return found, placement
    placement = session.get(Placement, policy.placement_id) if policy.placement_id else None
    if placement is None:
        raise NotFound()
    return policy, placement


def plan_of(session: Session, policy: Policy) -> StagedPlan | None:
    return session.execute(select(StagedPlan).where(StagedPlan.policy_id == policy.id)).scalar_one_or_none()


def surveys_of(session: Session, policy: Policy) -> list[StagedSurvey]:
    stmt = select(StagedSurvey).where(StagedSurvey.policy_id == policy.id).order_by(StagedSurvey.stage)
    return list(session.execute(stmt).scalars())


def tasks_of(session: Session, policy: Policy) -> list[StagedTask]:
    stmt = select(StagedTask).where(StagedTask.policy_id == policy.id)
    return list(session.execute(stmt.order_by(StagedTask.due_date, StagedTask.ref)).scalars())


@dataclass(frozen=True)
class StagePoint:
    ref: str
    title: str
    level: str
    state: str  # open (at binding) | remedied | not_remedied | worse | new
    evidence: str = ""


@dataclass
class Stage:
    """The register at one stage: 0 at binding, then one per staged report."""

    number: int
    at: dt.datetime
    report: Report | None
    points: list[StagePoint] = field(default_factory=list)

    @property
    def open(self) -> list[StagePoint]:
        return [p for p in self.points if p.state != "remedied"]

    def open_by_level(self) -> dict[str, int]:
        found = Counter(p.level for p in self.open)
        return {level: found.get(level, 0) for level in RISK_LEVELS}


def stages(session: Session, policy: Policy, placement: Placement) -> list[Stage]:
    """The register over time: the points at binding, then each staged report's view of them."""
    first = Stage(0, policy.created_at, None)
    first.points = [StagePoint(p.ref, p.title, p.level, "open") for p in risk.points_of(session, placement.id)]
    out = [first]
    for survey in surveys_of(session, policy):
        report = session.get(Report, survey.report_id) if survey.report_id else None
        if report is None or survey.reported_at is None:
            continue
        before = {p.ref: p for p in out[-1].open}
        stage = Stage(survey.stage, survey.reported_at, report)
        for e in report.content.get("earlier", []):
            was = before.get(e["ref"])
            title = was.title if was else e["ref"]
            stage.points.append(
                StagePoint(e["ref"], title, e.get("level") or (was.level if was else ""), e["state"], e["evidence"])
            )
        stage.points += [
            StagePoint(p["ref"], p["title"], p["level"], "new", p["description"])
            for p in report.content.get("risk_points", [])
        ]
        out.append(stage)
    return out


# ---- helpers ----------------------------------------------------------------------------------------


def _case(session: Session, placement: Placement) -> Case:
    case = session.get(Case, placement.id)
    assert case is not None
    return case


def _side(actor: Actor, org_id: uuid.UUID | None, roles: frozenset[str]) -> None:
    if actor.org_id != org_id or not actor.has_any(roles):
        raise ActionNotAllowed()


def _plan_audience(policy: Policy) -> list[str]:
    return [audience.BROKER, audience.INSURED, audience.FIRM_A, audience.org(policy.insurer_id)]


def _link(policy: Policy) -> str:
    return f"/policies/{policy.id}/risk"


def day_start(day: dt.date) -> dt.datetime:
    """00:00 Asia/Shanghai of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SHANGHAI).astimezone(dt.UTC)


def _move(
    row: Any, table: transition.Table, action: str, actor: Actor | None, session: Session, **changes: Any
) -> None:
    roles = frozenset(r.value for r in actor.roles) if actor else frozenset()
    rule = transition.resolve(table, row.status, action, roles)
    transition.move_row(session, row, {"status": rule.to, **changes})


# ---- the plan ---------------------------------------------------------------------------------------


def check_plan(policy: Policy, interval_months: object, lead_days: object) -> tuple[int, int]:
    """The interval and lead days as numbers; 422 naming the field."""
    errors: dict[str, str] = {}
    months = interval_months if isinstance(interval_months, int) else -1
    lead = lead_days if isinstance(lead_days, int) else -1
    if not 1 <= months <= MAX_INTERVAL:
        errors["interval_months"] = BAD_INTERVAL
    elif dt.date(*add_months(policy.period_start, months)) > policy.period_end:
        errors["interval_months"] = PAST_PERIOD
    if not 1 <= lead <= MAX_LEAD:
        errors["lead_days"] = BAD_LEAD
    if errors:
        raise InvalidInput(NOT_SAVED, fields=errors)
    return months, lead


def propose(
    session: Session,
    actor: Actor,
    policy_id: object,
    *,
    interval_months: object,
    lead_days: object = 14,
    insurer_sees_missed: bool = False,
    now: dt.datetime,
) -> StagedPlan:
    """The broker proposes (or changes) the interval; the insured then agrees it. A change takes the plan
    back to ``proposed``: the scheduled re-survey waits for the insured's agreement."""
    policy, placement = readable_policy(session, actor, policy_id)
    _side(actor, policy.broker_id, BROKER_SIDE)
    if policy.status != PolicyStatus.IN_FORCE:
        raise Conflict(NOT_IN_FORCE)
    months, lead = check_plan(policy, interval_months, lead_days)
    plan = plan_of(session, policy)
    terms = {"interval_months": months, "lead_days": lead, "insurer_sees_missed": bool(insurer_sees_missed)}
    if plan is None:
        plan = StagedPlan(policy_id=policy.id, status="proposed", proposed_at=now, proposed_by=actor.user_id, **terms)
        session.add(plan)
        session.flush()
    else:
        _move(
            plan,
            PLAN_RULES,
            "propose",
            actor,
            session,
            proposed_at=now,
            proposed_by=actor.user_id,
            agreed_at=None,
            agreed_by=None,
            **terms,
        )
    case_service.record_event(
        session, actor, _case(session, placement), "staged.plan_proposed", now=now,
        after={"policy": policy.number, **terms}, audience=_plan_audience(policy),
    )  # fmt: skip
    params = {"policy": policy.number, "months": months}
    users = _users(session, policy.insured_id, INSURED_SIDE)
    _tell(
        session,
        users,
        PROPOSED_SUBJECT,
        PROPOSED_BODY,
        params,
        link=_link(policy),
        key=f"staged-plan:{plan.id}:{now.isoformat()}",
        now=now,
    )
    return plan


def agree(session: Session, actor: Actor, policy_id: object, *, now: dt.datetime) -> StagedPlan:
    """The insured agrees the proposed plan: its commitments at binding become tasks with their timers,
    and the next re-survey is scheduled (its timer opens it ahead of the date)."""
    policy, placement = readable_policy(session, actor, policy_id)
    _side(actor, policy.insured_id, INSURED_SIDE)
    plan = plan_of(session, policy)
    if plan is None:
        raise Conflict(NO_PLAN)
    _move(plan, PLAN_RULES, "agree", actor, session, agreed_at=now, agreed_by=actor.user_id)
    case = _case(session, placement)
    if not tasks_of(session, policy):
        _commitments_at_binding(session, policy, placement, now)
    survey = schedule_next(session, policy, placement, plan, now)
    case_service.record_event(
        session, actor, case, "staged.plan_agreed", now=now,
        after={"policy": policy.number, "interval_months": plan.interval_months,
               "next_survey": survey.due_date.isoformat() if survey else None},
        audience=_plan_audience(policy),
    )  # fmt: skip
    return plan


def _commitments_at_binding(session: Session, policy: Policy, placement: Placement, now: dt.datetime) -> None:
    """The insured's open remediation commitments of the placement (整改任务) as stage-0 tasks."""
    levels = {p.ref: p.level for p in risk.points_of(session, placement.id)}
    for task in risk.tasks_of(session, placement.id, TaskStatus.OPEN):
        row = StagedTask(
            policy_id=policy.id, ref=task.ref, title=task.title, level=levels.get(task.ref, ""), opened_stage=0,
            due_date=task.due_date, status="open", note="", created_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        task_timers(session, row, now)


def survey_date(policy: Policy, plan: StagedPlan, after: dt.date) -> dt.date:
    """The first of the plan's dates (every ``interval_months`` from the policy's start) after ``after``."""
    k = 1
    while (due := dt.date(*add_months(policy.period_start, k * plan.interval_months))) <= after:
        k += 1
    return due


def schedule_next(
    session: Session, policy: Policy, placement: Placement, plan: StagedPlan, now: dt.datetime
) -> StagedSurvey | None:
    """The next re-survey, with its opening timer: the scheduled one moved to the plan's first date after
    the last reported (a date already past opens it at once), or a new one after the last reported, never
    due in the past; None when that date falls after the policy ends."""
    surveys = surveys_of(session, policy)
    pending = next((s for s in surveys if s.status in ("scheduled", "open")), None)
    if pending is not None and pending.status == "open":
        return pending
    stage = pending.stage if pending else max((s.stage for s in surveys), default=0) + 1
    after = max((s.due_date for s in surveys if s.status == "reported"), default=policy.period_start)
    if pending is None:
        after = max(after, local_day(now))
    due = survey_date(policy, plan, after)
    if due > policy.period_end:
        return None
    opens = day_start(due - dt.timedelta(days=plan.lead_days))
    firm = survey_firm(placement)
    if firm is None:
        raise Conflict(NOT_BOUND)
    if pending is None:
        pending = StagedSurvey(
            policy_id=policy.id, case_id=placement.id, firm_id=firm, stage=stage, due_date=due, opens_at=opens,
            status="scheduled", created_at=now,
        )  # fmt: skip
        session.add(pending)
        session.flush()
    elif (pending.due_date, pending.opens_at) != (due, opens):
        _move(pending, SURVEY_RULES, "reschedule", None, session, due_date=due, opens_at=opens)
    payload = {"survey_id": str(pending.id), "opens_at": opens.isoformat()}
    job = Job("staged.open_survey", payload, f"staged-open:{pending.id}:{opens.isoformat()}", max(opens, now))
    enqueue_all(session, [job], now=now)
    return pending


def open_survey(session: Session, survey_id: object, opens_at: str, now: dt.datetime) -> bool:
    """The timer: open the scheduled re-survey for the firm (once; a moved schedule's old timer does
    nothing). Returns whether it opened."""
    survey = session.get(StagedSurvey, _uuid(survey_id))
    if survey is None or survey.status != "scheduled" or survey.opens_at.isoformat() != opens_at:
        return False
    if survey.opens_at > now:
        return False
    policy = session.get(Policy, survey.policy_id)
    assert policy is not None
    plan = plan_of(session, policy)
    if plan is None or plan.status != "agreed":
        return False
    _move(survey, SURVEY_RULES, "open", None, session, opened_at=now)
    case = session.get(Case, survey.case_id)
    assert case is not None
    case_service.record_event(
        session, None, case, "staged.survey_opened", now=now,
        after={"policy": policy.number, "stage": survey.stage, "due_date": survey.due_date.isoformat()},
        audience=[audience.BROKER, audience.INSURED, audience.FIRM_A],
    )  # fmt: skip
    params = {"policy": policy.number, "stage": survey.stage, "date": survey.due_date.isoformat()}
    users = [*_users(session, survey.firm_id, FIRM_SIDE), *_users(session, policy.broker_id, BROKER_SIDE)]
    _tell(
        session,
        users,
        OPENED_SUBJECT,
        OPENED_BODY,
        params,
        link=_link(policy),
        key=f"staged-opened:{survey.id}",
        now=now,
    )
    return True


# ---- the insured's tasks ---------------------------------------------------------------------------


def task_timers(session: Session, task: StagedTask, now: dt.datetime) -> None:
    """A reminder a week before the task's date and the check when the date has passed."""
    due = task.due_date.isoformat()
    base = {"task_id": str(task.id), "due": due}
    remind_at = day_start(task.due_date - dt.timedelta(days=REMIND_DAYS))
    check_at = day_start(task.due_date + dt.timedelta(days=1))
    jobs = [Job("staged.task_check", {**base, "stage": "missed"}, f"staged-miss:{task.id}:{due}", check_at)]
    if remind_at > now:
        jobs.append(
            Job("staged.task_check", {**base, "stage": "reminder"}, f"staged-remind:{task.id}:{due}", remind_at)
        )
    enqueue_all(session, jobs, now=now)


def missed_audience(policy: Policy, plan: StagedPlan | None) -> list[str]:
    """Missed commitments: the broker and the insured, and the insurer where the plan says so."""
    return [
        audience.BROKER,
        audience.INSURED,
        *([audience.org(policy.insurer_id)] if plan and plan.insurer_sees_missed else []),
    ]


def check_task(session: Session, task_id: object, due: str, stage: str, now: dt.datetime) -> str | None:
    """The task's timer: a reminder to the insured, or — the date passed, the task still open — the
    commitment missed (audited; the broker, and the insurer where the plan says so, are told)."""
    task = session.get(StagedTask, _uuid(task_id))
    if task is None or task.status != "open" or task.due_date.isoformat() != due:
        return None
    policy = session.get(Policy, task.policy_id)
    assert policy is not None and policy.placement_id is not None
    case = session.get(Case, policy.placement_id)
    assert case is not None
    params = {"policy": policy.number, "ref": task.ref, "title": task.title, "date": due}
    if stage == "reminder":
        users = _users(session, policy.insured_id, INSURED_SIDE)
        _tell(
            session,
            users,
            REMIND_SUBJECT,
            REMIND_BODY,
            params,
            link=_link(policy),
            key=f"staged-remind:{task.id}:{due}",
            now=now,
        )
        return "reminded"
    if day_start(task.due_date + dt.timedelta(days=1)) > now:
        return None
    plan = plan_of(session, policy)
    _move(task, TASK_RULES, "miss", None, session, missed_at=now)
    case_service.record_event(
        session, None, case, "staged.task_missed", now=now,
        after={"policy": policy.number, "ref": task.ref, "title": task.title, "due_date": due},
        audience=missed_audience(policy, plan),
    )  # fmt: skip
    users = _users(session, policy.broker_id, BROKER_SIDE)
    if plan is not None and plan.insurer_sees_missed:
        users += _users(session, policy.insurer_id, frozenset({Role.INSURER_UNDERWRITER.value}))
    _tell(
        session,
        users,
        MISSED_SUBJECT,
        MISSED_BODY,
        params,
        link=_link(policy),
        key=f"staged-missed:{task.id}:{due}",
        now=now,
    )
    return "missed"


# ---- the staged report -----------------------------------------------------------------------------


def _open_survey_of(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, Placement, StagedSurvey]:
    policy, placement = readable_policy(session, actor, policy_id)
    if actor.org_id != survey_firm(placement) or not actor.has_any(FIRM_SIDE):
        raise ActionNotAllowed()
    survey = next((s for s in surveys_of(session, policy) if s.status == "open"), None)
    if survey is None:
        raise Conflict(NO_SURVEY)
    return policy, placement, survey


def check_against_register(
    session: Session, policy: Policy, placement: Placement, content: dict[str, Any]
) -> dict[str, Any]:
    """Every open point listed once with its state (a worse one with its level now), new points under new
    refs; the refs still open go to ``unremedied`` (what ``risk.check_tasks`` reads). 422 naming the field."""
    history = stages(session, policy, placement)
    open_now = {p.ref for p in history[-1].open}
    known = {p.ref for s in history for p in s.points}
    errors: dict[str, str] = {}
    listed: set[str] = set()
    for i, e in enumerate(content.get("earlier", [])):
        if e["ref"] not in open_now or e["ref"] in listed:
            errors[f"earlier.{i}.ref"] = NOT_OPEN_POINT
        listed.add(e["ref"])
        if e["state"] == "worse" and not e.get("level"):
            errors[f"earlier.{i}.level"] = LEVEL_NEEDED
    missing = sorted(open_now - listed)
    if missing:
        errors["earlier"] = translate_message(MISSING_POINTS, {"refs": ", ".join(missing)}, "en")
    for i, p in enumerate(content.get("risk_points", [])):
        if p["ref"] in known:
            errors[f"risk_points.{i}.ref"] = REF_TAKEN
    if errors:
        raise InvalidInput(NOT_SAVED, fields=errors)
    return {**content, "unremedied": sorted(e["ref"] for e in content.get("earlier", []) if e["state"] != "remedied")}


def save_draft(
    session: Session, actor: Actor, policy_id: object, content: dict[str, Any], *, now: dt.datetime
) -> dict[str, Any]:
    """The firm's working copy of the staged report, checked against the register (while the re-survey is open)."""
    policy, placement, _survey = _open_survey_of(session, actor, policy_id)
    checked = check_against_register(session, policy, placement, validate_content(KIND, content))
    draft = report_service.save_draft(session, actor, _case(session, placement), KIND, checked, now=now)
    return draft.content


def submit(
    session: Session, actor: Actor, policy_id: object, *, signer_ids: list[uuid.UUID], now: dt.datetime
) -> Report:
    """Two adjusters of the firm who worked the case sign and submit the draft: the report is frozen; the
    re-survey is reported; remedied points close their tasks, every other open point has one due at the
    next re-survey, which is scheduled."""
    policy, placement, survey = _open_survey_of(session, actor, policy_id)
    case = _case(session, placement)
    draft = report_service.draft_of(session, case, actor.org_id, KIND)
    if draft is None:
        raise InvalidInput("The report has no content yet.", fields={"content": "required"})
    check_against_register(session, policy, placement, draft.content)
    report = report_service.submit(session, actor, case, KIND, signer_ids=signer_ids, now=now, again=True)
    _move(survey, SURVEY_RULES, "report", actor, session, report_id=report.id, reported_at=now)
    risk.check_tasks(session, actor, placement, report, now=now)
    plan = plan_of(session, policy)
    assert plan is not None
    following = schedule_next(session, policy, placement, plan, now)
    due = following.due_date if following else policy.period_end
    session.flush()
    states = _follow_tasks(session, policy, stages(session, policy, placement)[-1], due, now)
    case_service.record_event(
        session, actor, case, "staged.report_accepted", now=now,
        after={"policy": policy.number, "report": report.display_number, "stage": survey.stage, **states,
               "next_survey": following.due_date.isoformat() if following else None},
        audience=_plan_audience(policy),
    )  # fmt: skip
    params = {
        "policy": policy.number,
        "report": report.display_number,
        "open": len(states["open"]),
        "date": due.isoformat(),
    }
    users = _users(session, policy.insured_id, INSURED_SIDE)
    _tell(
        session,
        users,
        REPORT_SUBJECT,
        REPORT_BODY,
        params,
        link=_link(policy),
        key=f"staged-report:{report.id}",
        now=now,
    )
    return report


def _follow_tasks(
    session: Session, policy: Policy, stage: Stage, due: dt.date, now: dt.datetime
) -> dict[str, list[str]]:
    """The tasks after a report (its ``stage``): remedied points' tasks done; a task (with its timers) for
    every open point that has none live. Returns the refs by state."""
    live = {t.ref: t for t in tasks_of(session, policy) if t.status in LIVE_TASK}
    by_state: dict[str, list[str]] = {"remedied": [], "not_remedied": [], "worse": [], "new": [], "open": []}
    assert stage.report is not None
    for point in stage.points:
        by_state[point.state].append(point.ref)
        task = live.get(point.ref)
        if point.state == "remedied":
            if task is not None:
                _move(task, TASK_RULES, "remedy", None, session, closed_at=now, closed_by_report_id=stage.report.id)
            continue
        by_state["open"].append(point.ref)
        if task is not None:
            continue
        row = StagedTask(
            policy_id=policy.id, ref=point.ref, title=point.title[:200], level=point.level, opened_stage=stage.number,
            due_date=due, status="open", note="", created_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        task_timers(session, row, now)
    return by_state


# ---- what a reader sees ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    policy: Policy
    placement: Placement
    plan: StagedPlan | None
    surveys: list[StagedSurvey]
    stages: list[Stage]
    tasks: list[StagedTask] | None  # None: not for this reader (an insurer the plan does not tell)
    may: frozenset[str]  # propose | agree | report


def sees_tasks(actor: Actor, policy: Policy, placement: Placement, plan: StagedPlan | None) -> bool:
    """The broker, the insured and the re-surveying firm see the tasks and missed commitments; the insurer
    only where the plan (the policy) says so; nobody else."""
    if actor.is_admin or actor.org_id in (policy.broker_id, policy.insured_id, survey_firm(placement)):
        return True
    return actor.org_id == policy.insurer_id and plan is not None and plan.insurer_sees_missed


def overview(session: Session, actor: Actor, policy_id: object) -> Overview:
    policy, placement = readable_policy(session, actor, policy_id)
    plan = plan_of(session, policy)
    surveys = surveys_of(session, policy)
    may = set()
    if actor.org_id == policy.broker_id and actor.has_any(BROKER_SIDE) and policy.status == PolicyStatus.IN_FORCE:
        may.add("propose")
    if plan is not None and plan.status == "proposed" and actor.org_id == policy.insured_id:
        may |= {"agree"} if actor.has_any(INSURED_SIDE) else set()
    if any(s.status == "open" for s in surveys) and actor.org_id == survey_firm(placement) and actor.has_any(FIRM_SIDE):
        may.add("report")
    tasks = tasks_of(session, policy) if sees_tasks(actor, policy, placement, plan) else None
    return Overview(policy, placement, plan, surveys, stages(session, policy, placement), tasks, frozenset(may))


def stage_report(session: Session, actor: Actor, policy_id: object, report_id: object) -> Report:
    """One staged report of the policy, for the readers of its risk page (404 for any other id)."""
    policy, _placement = readable_policy(session, actor, policy_id)
    wanted = _uuid(report_id)
    for survey in surveys_of(session, policy):
        if survey.report_id == wanted:
            report = session.get(Report, wanted)
            assert report is not None
            return report
    raise NotFound()
