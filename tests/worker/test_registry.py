"""The worker knows every topic the code enqueues: ``tandem.tasks`` lists the task modules, the registry
imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

from tandem.tasks import load_builtin_tasks
from tandem.worker.registry import HANDLERS

SRC = Path(__file__).resolve().parents[2] / "src" / "tandem"


def _enqueued_topics() -> set[str]:
    topics: set[str] = set()
    for f in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "enqueue"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                topics.add(node.args[1].value)
            elif (  # a Job for enqueue_all
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Job"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                topics.add(node.args[0].value)
    return topics


def test_every_enqueued_topic_has_a_handler_after_loading_the_builtin_tasks():
    load_builtin_tasks()
    topics = _enqueued_topics()
    assert {"report.render_pdf", "claim.render_letter", "consultation.render_mou", "sla.check"} <= topics
    assert topics - set(HANDLERS) == set()
    assert {"notification.email", "routing.escalate", "claim.copied_to_insurer"} <= set(HANDLERS)
