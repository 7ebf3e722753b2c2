"""The outbox and worker: nothing sent on rollback, at-least-once delivery, crash recovery, real SMTP."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from typing import Any

from sqlalchemy import func, select

from tandem.notification.models import OutboxJob
from tandem.notification.outbox import enqueue
from tandem.worker import runner
from tandem.worker.registry import HANDLERS, task


def _email(env: Any, key: str) -> None:
    with env.factory.begin() as s:
        enqueue(
            s,
            "notification.email",
            {"to": "broker@demo.tandem.local", "subject": "案件提醒", "body": "请在48小时内完成公估指派。", "key": key},
            now=env.clock.now(),
            dedupe_key=key,
        )


def test_email_is_sent_through_a_real_smtp_server(env, smtp):
    sink, port = smtp
    env.settings.smtp_port = port
    _email(env, "mail-1")
    _email(env, "mail-1")  # same dedupe key: one job only
    stats = runner.run_once(env.factory, env.settings, env.clock)
    assert stats.done == 1
    # The SMTP server answered the DATA command before run_once returned: the message is in the sink.
    assert len(sink.messages) == 1
    assert "broker@demo.tandem.local" in sink.messages[0].rcpt_tos
    assert b"48" in sink.messages[0].content
    assert runner.run_once(env.factory, env.settings, env.clock).done == 0


def test_a_maildrop_folder_takes_the_mail_instead_of_smtp(env, tmp_path):
    """`make demo` without a mail server: each e-mail becomes one .eml file; a resend replaces it."""
    env.settings.smtp_port = 9  # nothing listens there: SMTP would fail the job
    env.settings.mail_dir = str(tmp_path / "mail")
    _email(env, "drop-1")
    assert runner.run_once(env.factory, env.settings, env.clock).done == 1
    (eml,) = (tmp_path / "mail").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "broker@demo.tandem.local" and msg["Subject"] == "案件提醒"
    assert "48小时" in msg.get_content() and msg["Message-ID"] == "<drop-1@tandem>"
    HANDLERS["notification.email"](
        None, {"to": "x@y", "subject": "s", "body": "b", "key": "drop-1"}, env.clock.now(), env.settings
    )
    assert [p.name for p in (tmp_path / "mail").iterdir()] == [eml.name]  # the same message, no stray file


def test_rollback_enqueues_nothing(env):
    s = env.factory()
    enqueue(s, "notification.email", {"to": "x@y", "subject": "s", "body": "b"}, now=env.clock.now())
    s.rollback()
    s.close()
    with env.factory() as s2:
        assert s2.execute(select(func.count()).select_from(OutboxJob)).scalar_one() == 0


def test_failed_job_is_retried_with_backoff_then_succeeds(env):
    calls: list[int] = []

    @task("test.flaky")
    def flaky(session, payload, now, settings):
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("smtp down")

    try:
        with env.factory.begin() as s:
            enqueue(s, "test.flaky", {}, now=env.clock.now())
        assert runner.run_once(env.factory, env.settings, env.clock).retried == 1
        assert runner.run_once(env.factory, env.settings, env.clock).retried == 0  # backing off
        env.clock.advance(seconds=6)
        assert runner.run_once(env.factory, env.settings, env.clock).retried == 1
        env.clock.advance(seconds=11)
        assert runner.run_once(env.factory, env.settings, env.clock).done == 1
        with env.factory() as s:
            job = s.execute(select(OutboxJob)).scalar_one()
            assert job.done_at is not None and job.attempts == 3 and "smtp down" in (job.last_error or "")
    finally:
        HANDLERS.pop("test.flaky", None)


def test_job_of_a_killed_worker_is_claimed_again_after_its_lease(env):
    runs: list[str] = []

    @task("test.once")
    def once(session, payload, now, settings):
        runs.append(payload["k"])

    try:
        with env.factory.begin() as s:
            enqueue(s, "test.once", {"k": "a"}, now=env.clock.now())
        # A worker claims the job, then dies before running it.
        with env.factory.begin() as s:
            assert len(runner.claim(s, env.clock.now(), 10)) == 1
        assert runner.run_once(env.factory, env.settings, env.clock).done == 0  # lease still held
        env.clock.advance(seconds=runner.LEASE.total_seconds() + 1)
        assert runner.run_once(env.factory, env.settings, env.clock).done == 1
        assert runs == ["a"]
        with env.factory() as s:
            assert runner.pending_count(s) == 0
    finally:
        HANDLERS.pop("test.once", None)


def test_not_before_delays_a_job(env):
    with env.factory.begin() as s:
        enqueue(
            s,
            "notification.email",
            {"to": "a@b", "subject": "s", "body": "b"},
            now=env.clock.now(),
            not_before=env.clock.now() + dt.timedelta(hours=24),
        )
        ids = runner.claim(s, env.clock.now(), 10)
    assert ids == []


def test_notifications_are_batched_into_one_digest_per_window(env, smtp):
    from tandem.access.models import User
    from tandem.notification.service import inbox, notify

    sink, port = smtp
    env.settings.smtp_port = port
    with env.factory.begin() as s:
        broker = s.execute(select(User).where(User.username == "broker")).scalar_one()
        for i in range(5):
            notify(s, [broker], subject=f"提醒 {i}", body="正文", now=env.clock.now(), key=f"k{i}")
        notify(s, [broker], subject="提醒 0", body="正文", now=env.clock.now(), key="k0")  # duplicate key
    with env.factory() as s:
        assert len(inbox(s, broker.id)) == 5
    assert runner.run_once(env.factory, env.settings, env.clock).done == 0  # the window is still open
    env.clock.advance(minutes=16)
    assert runner.run_once(env.factory, env.settings, env.clock).done == 1
    # The SMTP server answered the DATA command before run_once returned: the message is in the sink.
    assert len(sink.messages) == 1
    mail = email.message_from_bytes(sink.messages[0].content, policy=email.policy.default)
    assert mail["Subject"] == "Tandem：5 条新通知"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert [f"提醒 {i}" in text for i in range(5)] == [True] * 5 and text.count("提醒 0") == 1
