"""The kind registry agrees with the enum, the section models and the order of kinds.

These are the checks the registry's docstring promises a contributor adding a kind: a row that
disagrees with its enum member, its section field or the level order fails here, not in a run.
"""

from __future__ import annotations

import typing

import pytest

from reconciler.state.kinds import Kind
from reconciler.state.models.desired import ApisixSection, HydraSection
from reconciler.state.registry import LEVEL_OF, LEVELS, SECTIONED, SPECS, Ownership, child_kind, references, spec

SECTION_MODELS = {"hydra": HydraSection, "apisix": ApisixSection}


def test_every_kind_has_one_row_in_level_order() -> None:
    assert sorted(LEVELS) == sorted(Kind)
    assert len(SPECS) == len(set(LEVELS)) == len(Kind)


@pytest.mark.parametrize("row", SECTIONED, ids=lambda s: s.kind.value)
def test_section_field_holds_the_rows_model(row: typing.Any) -> None:
    fields = SECTION_MODELS[row.system].model_fields
    assert row.section in fields, f"{row.system} section lacks {row.section!r}"
    assert typing.get_args(fields[row.section].annotation) == (row.model,)
    assert row.key_field in row.model.model_fields


def test_every_section_field_belongs_to_a_row() -> None:
    rows = {(s.system, s.section) for s in SECTIONED}
    for system, model in SECTION_MODELS.items():
        lists = {name for name, f in model.model_fields.items() if typing.get_origin(f.annotation) is list}
        assert {(system, name) for name in lists} <= rows


def test_nested_kind_is_a_field_of_its_parent() -> None:
    child = child_kind(Kind.CONSUMER)
    assert child is not None and child.kind is Kind.CREDENTIAL
    assert child.section in spec(Kind.CONSUMER).model.model_fields
    assert spec(Kind.CREDENTIAL).own_id("alice/cred-1") == "cred-1"


def test_references_point_at_earlier_levels() -> None:
    """Creates run top-down, so every referenced kind must come before the kind referring to it."""
    for row in SPECS:
        targets = [r.target for r in row.references] + ([row.parent] if row.parent else [])
        for target in targets:
            assert LEVEL_OF[target] < LEVEL_OF[row.kind], f"{row.kind} refers to later {target}"


def test_references_read_nested_paths_and_parents() -> None:
    body = {"tls": {"client_cert_id": 7}, "plugins": {"openid-connect": {"client_id": "web"}}}
    assert references(Kind.UPSTREAM, "u1", body) == [(Kind.SSL, "7"), (Kind.OAUTH2_CLIENT, "web")]
    assert references(Kind.CREDENTIAL, "alice/c1", {}) == [(Kind.CONSUMER, "alice")]
    assert references(Kind.ROUTE, "r1", {"upstream_id": None, "service_id": "s"}) == [(Kind.SERVICE, "s")]


def test_dump_files_are_distinct_and_unlabelled_kinds_have_another_rule() -> None:
    files = [s.dump_file for s in SECTIONED]
    assert all(files) and len(files) == len(set(files))
    for row in SPECS:
        assert row.labelled == (row.ownership is Ownership.LABELS)
        if not row.labelled:
            assert "labels" not in row.model.model_fields, row.kind


def test_the_verify_checks_list_the_kinds_that_link_clients() -> None:
    """``plan.checks`` keeps its own display order of these kinds; its members must be the registry's."""
    from reconciler.plan.checks import OIDC_KINDS

    assert set(OIDC_KINDS) == {s.kind for s in SPECS if s.links_clients}
