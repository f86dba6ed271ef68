"""The text format: Terraform-like symbols, only changed fields on update, counts, banners, colour."""

from __future__ import annotations

import pytest

from reconciler.plan.changes import Action, Change, FieldChange, FieldOp, Plan
from reconciler.report import render_apply_result, render_plan
from reconciler.report.text import UNMANAGED_LIMIT, change_lines, field_change_line
from reconciler.state.kinds import Kind

from .cases import PLAN_CASES, apply_result_from_dict, plan_from_dict, secret


def text(case: str, **kw: bool) -> str:
    return render_plan(plan_from_dict(PLAN_CASES[case]), "text", **kw)


def test_update_lists_only_the_changed_fields() -> None:
    out = text("mixed_update")
    assert '  ~ upstream.nginx\n      ~ nodes."127.0.0.1:8081": 1 -> 5\n      - labels.env: \"prod\"\n' in out
    assert '      + plugins.cors: {"allow_methods": "GET,PUT", "allow_origins": "https://photos.example.com"}' in out
    # the unchanged parts of the bodies are never shown for an update
    assert "limit-count" not in out
    assert "roundrobin" not in out
    assert "127.0.0.1:8080" not in out


def test_create_shows_the_whole_body_and_delete_one_line() -> None:
    out = text("mixed_update")
    assert "  + route.thumbnails\n" in out
    assert '      uri               = "/thumbs/*"' in out
    assert "  - consumer.bob\n" in out
    assert "key-auth" not in out  # a delete's body is not listed


def test_noops_are_counted_not_listed() -> None:
    out = text("mixed_update")
    assert "service.photos" not in out
    assert "route.health" not in out
    assert out.endswith("Plan: 1 to create, 3 to update, 1 to delete, 2 unchanged, 0 unmanaged.\n")


def test_changes_keep_plan_order() -> None:
    out = text("prune_every_kind")
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  - ")]
    assert listed == [c.address for c in plan_from_dict(PLAN_CASES["prune_every_kind"]).changes]


def test_reason_in_parentheses() -> None:
    assert "  ~ oauth2_client.photo-app (secret rotated)\n      ~ client_secret: (sensitive value)\n" in text(
        "secret_rotation"
    )
    assert "  ~ route.legacy-login (adopted)\n" in text("adoption")


def test_no_changes_sentence() -> None:
    out = text("no_changes")
    assert out.endswith("No changes. Live state matches the desired state.\n")
    assert "Plan:" not in out


def test_empty_plan() -> None:
    assert render_plan(Plan(), "text") == ("Reconcile plan\n\nNo changes. Live state matches the desired state.\n")


def test_incomplete_banner_warnings_errors() -> None:
    out = text("incomplete")
    assert "INCOMPLETE: live state could not be read completely; nothing will be deleted." in out
    assert "Warning: routes: page 3 could not be read" in out
    assert 'Error: route.new-route: plugin cors: property "allow_origins" must be a string' in out
    # banner before the summary, and the summary is never "No changes" when incomplete
    assert out.index("INCOMPLETE") < out.index("Plan: 1 to create")
    incomplete_noop = Plan(complete=False)
    assert "No changes" not in render_plan(incomplete_noop, "text")
    assert "INCOMPLETE" in render_plan(incomplete_noop, "text")
    assert "INCOMPLETE" not in text("mixed_update")


def test_unmanaged_counted_per_kind_and_capped() -> None:
    out = text("unmanaged")
    assert "Unmanaged objects (left untouched): 26" in out
    assert "  route: 23\n" in out
    assert "  upstream: 2\n" in out
    assert out.count("    route.team-b-") == UNMANAGED_LIMIT
    assert "    ... and 3 more\n" in out
    assert "    upstream.team-b-backend (outside the selector team=a)" in out
    assert out.index("oauth2_client: 1") < out.index("upstream: 2") < out.index("route: 23")


def test_multiline_warning_keeps_indent() -> None:
    out = render_plan(Plan(warnings=["first line\nsecond line"]), "text")
    assert "Warning: first line\n  second line\n" in out


def test_color_only_when_asked() -> None:
    plain = text("mixed_update")
    colored = text("mixed_update", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m+\x1b[0m" in colored  # green create
    assert "\x1b[33m~\x1b[0m" in colored  # yellow update
    assert "\x1b[31m-\x1b[0m" in colored  # red delete
    assert "\x1b[1mPlan: 1 to create" in colored  # bold summary


def test_field_change_lines() -> None:
    assert field_change_line(FieldChange(FieldOp.CHANGE, "a.b", [1], [1, 2])) == "~ a.b: [1] -> [1, 2]"
    assert field_change_line(FieldChange(FieldOp.ADD, "labels.x", None, "y")) == '+ labels.x: "y"'
    assert field_change_line(FieldChange(FieldOp.REMOVE, "labels.x", "y", None)) == "- labels.x: \"y\""
    assert field_change_line(FieldChange(FieldOp.CHANGE, "k", secret("a"), secret("b"))) == "~ k: (sensitive value)"
    assert (
        field_change_line(FieldChange(FieldOp.CHANGE, "k", "plain", secret("b"))) == '~ k: "plain" -> (sensitive value)'
    )


def test_create_of_nested_empty_values() -> None:
    change = Change(Kind.ROUTE, "r", Action.CREATE, None, {"plugins": {}, "vars": [], "name": None})
    assert change_lines(change) == [
        "  + route.r",
        "      name    = null",
        "      plugins = {}",
        "      vars    = []",
    ]


def test_bad_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render_plan(Plan(), "yaml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown output format"):
        render_apply_result(apply_result_from_dict({"events": []}), "html")  # type: ignore[arg-type]


def test_apply_text_sections() -> None:
    from .cases import APPLY_CASES

    out = render_apply_result(apply_result_from_dict(APPLY_CASES["apply_partial_failure"]), "text")
    assert out.startswith("Apply complete: 3 applied, 1 failed, 2 skipped.\n")
    assert "Failed:\n  ! upstream.nginx: 400 Bad Request" in out
    assert "(after 3 attempts)" in out
    assert "Skipped:\n  ~ route.photos: depends on upstream.nginx, which failed\n" in out
    assert out.index("Applied:") < out.index("Failed:") < out.index("Skipped:")
    empty = render_apply_result(apply_result_from_dict({"events": []}), "text")
    assert empty == "Apply complete: 0 applied, 0 failed, 0 skipped.\n"


def test_paths_quote_keys_that_are_not_plain_words() -> None:
    from reconciler.report.values import join_path

    assert join_path("nodes", "127.0.0.1:80") == 'nodes."127.0.0.1:80"'
    assert join_path("", "1") == '"1"'
    assert join_path("plugins", "key-auth") == "plugins.key-auth"
    assert join_path("a", 'say "hi"') == 'a."say \\"hi\\""'


def test_plugin_configs_of_a_create_get_their_own_blocks() -> None:
    body = {
        "uri": "/*",
        "labels": {"a": "b"},
        "plugins": {
            "openid-connect": {"client_id": "x", "session": {"secret": secret("s")}, "bearer_only": False},
            "cors": {"allow_origins": "*"},
            "prometheus": {},
        },
    }
    assert change_lines(Change(Kind.ROUTE, "r", Action.CREATE, None, body))[1:] == [
        '      labels.a = "b"',
        '      uri      = "/*"',
        "      plugins.cors:",
        '        allow_origins = "*"',
        "      plugins.openid-connect:",
        "        bearer_only    = false",
        '        client_id      = "x"',
        "        session.secret = (sensitive value)",
        "      plugins.prometheus = {}",
    ]


def test_long_paths_stop_the_alignment() -> None:
    body = {"a": 1, "bb": 2, "c" * 60: 3}
    assert change_lines(Change(Kind.ROUTE, "r", Action.CREATE, None, body))[1:] == [
        "      a  = 1",
        "      bb = 2",
        "      " + "c" * 60 + " = 3",
    ]
