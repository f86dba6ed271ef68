"""No rendering may ever show a secret value: every format, every place a value can hide."""

from __future__ import annotations

import io

import pytest

from reconciler.plan.changes import Action, ApplyEvent, ApplyResult, Change, FieldChange, FieldOp, Outcome, Plan
from reconciler.report import ApplyPrinter, render_apply_result, render_plan
from reconciler.secrets import MASK, scrub
from reconciler.state.kinds import Kind

from .cases import APPLY_CASES, CANARY, PLAN_CASES, apply_result_from_dict, plan_from_dict, secret

FORMATS = ("text", "json", "markdown")


def _nested_plan() -> Plan:
    """Secrets in every corner: nested lists, tuples, sets, dicts in lists, diff old/new, no-ops."""
    deep = {
        "plugins": {
            "openid-connect": {
                "client_secret": secret("oidc"),
                "session": {"secret": secret("session")},
                "keys": [secret("k1"), [secret("k2"), {"inner": secret("k3")}]],
                "tuple": (secret("t1"),),
                "set": {secret("s1")},
            }
        },
        "consumers": [{"name": "a", "password": secret("pw")}],
    }
    return Plan(
        changes=[
            Change(Kind.ROUTE, "a", Action.CREATE, None, deep),
            Change(Kind.ROUTE, "b", Action.DELETE, deep, None),
            Change(Kind.ROUTE, "c", Action.NOOP, deep, deep),
            Change(
                Kind.ROUTE,
                "d",
                Action.UPDATE,
                deep,
                deep,
                diff=(
                    FieldChange(FieldOp.CHANGE, "plugins.openid-connect", deep["plugins"], {"x": [secret("n")]}),
                    FieldChange(FieldOp.ADD, "keys[2]", None, [[secret("list-in-list")]]),
                    FieldChange(FieldOp.REMOVE, "old", secret("removed"), None),
                    FieldChange(FieldOp.CHANGE, "bare", secret("b1"), secret("b2")),
                    FieldChange(FieldOp.CHANGE, "half", "plain", secret("b3")),
                ),
                reason="secret rotated",
            ),
        ]
    )


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("fmt", FORMATS)
def test_nested_secrets_never_shown(fmt: str, color: bool) -> None:
    out = render_plan(_nested_plan(), fmt, color=color)  # type: ignore[arg-type]
    assert CANARY not in out
    assert MASK in out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(PLAN_CASES))
def test_cases_never_show_secrets(case: str, fmt: str) -> None:
    assert CANARY not in render_plan(plan_from_dict(PLAN_CASES[case]), fmt)  # type: ignore[arg-type]


def test_the_canary_is_really_in_the_data() -> None:
    """Guards the tests above: a plan that printed raw values would show the canary."""
    change = _nested_plan().changes[0]
    assert change.after is not None
    assert CANARY in change.after["consumers"][0]["password"].reveal()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(APPLY_CASES))
def test_apply_results_never_show_secrets(case: str, fmt: str) -> None:
    assert CANARY not in render_apply_result(apply_result_from_dict(APPLY_CASES[case]), fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_apply_printer_never_shows_secrets(fmt: str) -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, fmt, total=50, tty=True)  # type: ignore[arg-type]
    events = [ApplyEvent(c, Outcome.FAILED, "boom") for c in _nested_plan().changes]
    for event in events:
        printer(event)
    printer.close()
    assert CANARY not in stream.getvalue()
    assert CANARY not in render_apply_result(ApplyResult(events), fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_stray_secrets_in_messages_are_masked(fmt: str) -> None:
    """Messages are typed ``str``, but a ``Secret`` passed by mistake must still be masked."""
    plan = Plan(warnings=[secret("warning")], errors=[secret("error")], servers={"hydra": secret("srv")})  # type: ignore[list-item,dict-item]
    out = render_plan(plan, fmt)  # type: ignore[arg-type]
    assert CANARY not in out and MASK in out
    change = Change(Kind.ROUTE, "r", Action.CREATE, None, {})
    result = ApplyResult([ApplyEvent(change, Outcome.FAILED, secret("message"))])  # type: ignore[arg-type]
    assert CANARY not in render_apply_result(result, fmt)  # type: ignore[arg-type]
    stream = io.StringIO()
    ApplyPrinter(stream, "json" if fmt == "json" else "text")(result.events[0])
    assert CANARY not in stream.getvalue()


def test_scrub_anywhere_masks_the_longest_value_first_and_ignores_empty_ones() -> None:
    """A value that contains another is masked whole; an empty value masks nothing; with
    ``anywhere`` a short value is masked unquoted too."""
    text = "refused 'abc-long-secret' and 'abc'"
    assert scrub(text, ["abc", "", "abc-long-secret"], anywhere=True) == f"refused '{MASK}' and '{MASK}'"
    assert scrub(text, [""], anywhere=True) == text
    assert scrub("key abc refused", ["abc"], anywhere=True) == f"key {MASK} refused"
