"""The Retention / 保存期限 page: the broker's admin sees the business file due after its contract's end + 5
years with counts, proposes it (a bad date is shown beside the field), the platform admin approves on the same
page, the worker anonymises; anybody but an admin is refused."""

from __future__ import annotations

import datetime as dt
import re

from tests.helpers import logged_in, person_file, post, run_jobs, text_of


def test_due_list_propose_and_approve_on_the_page(env) -> None:
    person_file(env)
    env.clock.current = dt.datetime(2032, 1, 2, tzinfo=dt.UTC)
    broker = logged_in(env, "broker", **{"Accept-Language": "en"})
    page = broker.get("/retention")
    assert page.status_code == 200, page.text
    text = text_of(page)
    own = re.search(r'href="(/organisations/[0-9a-f-]{36})"', page.text)
    assert own and 'href="/retention"' in broker.get(own.group(1)).text  # linked from the organisation page
    assert "PRET0001" in text and "Business files: 1" in text and "Closed claim cases: 0" in text
    assert "PRET0001" not in text_of(broker.get("/retention?as_of=2031-12-30"))  # not yet due that day
    bad = post(broker, "/retention/runs", {"as_of": "2031-13-01"})
    assert bad.status_code == 422 and "Enter a date." in text_of(bad)
    assert post(broker, "/retention/runs", {"as_of": "2032-01-01"}).status_code == 303
    proposed = text_of(broker.get("/retention"))
    assert "Proposed, awaiting approval" in proposed and "Business files: 0" in proposed
    assert logged_in(env, "insured1").get("/retention").status_code == 403
    admin = logged_in(env, "admin", **{"Accept-Language": "en"})
    runs = admin.get("/retention")
    assert runs.status_code == 200 and "Approve" in text_of(runs)
    run_id = runs.text.split('action="/retention/runs/')[1].split("/")[0]
    assert post(broker, f"/retention/runs/{run_id}/approve").status_code == 403  # not the proposer's to approve
    assert post(admin, f"/retention/runs/{run_id}/approve").status_code == 303
    run_jobs(env)
    assert "Anonymised" in text_of(broker.get("/retention"))
