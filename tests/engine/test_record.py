"""The plan record: the data a saved plan keeps and a re-made plan is compared with."""

from __future__ import annotations

import json

from reconciler.plan.changes import Action, Change, FieldChange, FieldOp, Plan
from reconciler.plan.record import change_record, plan_record, secret_paths
from reconciler.secrets import MASK, Secret
from reconciler.state.kinds import Kind

CANARY = "record-canary-7f3a"


def _plan() -> Plan:
    after = {"plugins": {"key-auth": {"key": Secret(CANARY)}}, "nodes": ("a", "b")}
    return Plan(changes=[
        Change(Kind.CONSUMER, "alice", Action.NOOP, after, after),
        Change(Kind.ROUTE, "r1", Action.UPDATE, {"uri": "/a"}, {"uri": "/b"},
               (FieldChange(FieldOp.CHANGE, "uri", "/a", "/b"),), depends_on=((Kind.UPSTREAM, "u1"),)),
        Change(Kind.CONSUMER, "bob", Action.CREATE, None, after),
    ])


def test_record_lists_writes_only_masks_secrets_and_is_json() -> None:
    record = plan_record(_plan())
    assert [r["address"] for r in record] == ["route.r1", "consumer.bob"]
    text = json.dumps(record)
    assert CANARY not in text and MASK in text
    assert record[0]["depends_on"] == ["upstream.u1"] and record[1]["after"]["nodes"] == ["a", "b"]
    assert json.loads(text) == record  # what a plan file stores compares equal after the round trip


def test_record_sees_what_a_listing_may_leave_out() -> None:
    """A changed dependency is a different plan, though no renderer prints ``depends_on``."""
    change = _plan().changes[1]
    moved = Change(change.kind, change.key, change.action, change.before, change.after, change.diff,
                   depends_on=((Kind.SERVICE, "s1"),))
    assert change_record(change) != change_record(moved)


def test_secret_paths_name_every_secret() -> None:
    body = {"plugins": {"key-auth": {"key": Secret("k")}}, "keys": [Secret("a"), "plain"], "10.0.0.1:80": Secret("x")}
    assert [p for p, _s in secret_paths(body)] == ['"10.0.0.1:80"', "keys[0]", "plugins.key-auth.key"]
