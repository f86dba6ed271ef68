"""The README and every page under ``docs/`` run exactly as written.

Each page's ``console`` blocks run in order as one shell session against the sandbox
(``tests/docs/session.py``): every command must exit as the page says (``# exit N`` on the
command, else 0) and print the lines it promises.  Each YAML block is validated as what it is:
a desired state (alone, or with the directory its directive names), or a var file.  Commands
other branches add need nothing here: the pages say what to run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import DesiredStateError
from reconciler.load.loader import load_state, read_var_files
from tests.docs.blocks import Block, blocks, commands, promise_matches
from tests.docs.session import ROOT, Session

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
YAML_BLOCKS = [b for page in PAGES for b in blocks(page) if b.lang in ("yaml", "yml")]


@pytest.mark.parametrize("page", [p for p in PAGES if any(b.lang == "console" for b in blocks(p))],
                         ids=lambda p: p.name)
def test_console_blocks_run_as_written(page: Path, tmp_path: Path) -> None:
    session = Session(page, tmp_path)
    session.prepare()
    try:
        outcomes = session.run()
    finally:
        session.stop()
    assert outcomes, f"{page.name}: no command ran"
    failed = [o.explain() for o in outcomes if not o.ok]
    assert not failed, "\n\n".join(failed)


def test_every_skipped_console_block_says_why() -> None:
    for page in PAGES:
        for block in blocks(page):
            if block.lang == "console" and block.directive == "skip":
                assert len(block.argument) > 20, f"{block.where}: a skipped block needs its reason"


def _problems(exc: DesiredStateError) -> str:
    return "\n".join(str(p) for p in exc.problems)


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=lambda b: b.where)
def test_yaml_examples_are_valid(block: Block, tmp_path: Path) -> None:
    if block.directive == "var-file":
        (tmp_path / "vars.yaml").write_text(block.text)
        values, problems = read_var_files([tmp_path / "vars.yaml"])
        assert not problems and values, problems
        return
    state = tmp_path / "state"
    state.mkdir()
    if block.directive == "validate-with":
        for path in (ROOT / block.argument).glob("*.yaml"):
            (state / path.name).write_text(path.read_text())
    if block.directive == "file":
        # the files a page writes make one desired state together
        for other in blocks(block.doc):
            if other.directive == "file" and other.lang in ("yaml", "yml"):
                (state / Path(other.argument).name).write_text(other.text)
    else:
        (state / "zz-example.yaml").write_text(block.text)
    try:
        load_state(state, env={}, require_values=False)
    except DesiredStateError as exc:
        pytest.fail(f"{block.where}: the example is not a valid desired state:\n{_problems(exc)}")


# --- the parts of the runner, on their own ---------------------------------------------------------


def test_commands_and_promises_are_parsed(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("text\n\n```console\n$ echo a \\\n    b   # exit 3: a comment\na b\n...\n$ cat <<'EOF'\nx\nEOF\nx\n```\n")
    [block] = blocks(page)
    first, second = commands(block)
    assert (first.text, first.expected_exit, first.promised, first.line) == (
        "echo a \\\n    b   # exit 3: a comment", 3, ["a b", "..."], 4)
    assert second.text == "cat <<'EOF'\nx\nEOF" and second.promised == ["x"]


def test_promised_lines_match_in_order_with_ellipses() -> None:
    output = "HTTP/1.1 201 Created\r\nServer: x\r\n\r\n{\"id\":\"web\",\"create_time\":17}\n"
    assert promise_matches(["HTTP/1.1 201 Created", "...", '{"id":"web","create_time":...}'], output) == []
    assert promise_matches(['{"id":"web"}'], output) == ['{"id":"web"}']
    assert promise_matches(["Server: x", "HTTP/1.1 201 Created"], output) == ["HTTP/1.1 201 Created"]


def test_a_failing_command_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("```console\n$ echo hello\nhello\n$ false   # exit 1\n$ echo bye\nhi\n$ exit 4\n```\n")
    session = Session(page, tmp_path / "work")
    (tmp_path / "work").mkdir()
    outcomes = session.run()
    # ``exit`` ends the session: what follows is reported as not run
    assert [(o.exit_code, o.ok) for o in outcomes] == [(0, True), (1, True), (0, False), (-1, False)]
    assert outcomes[2].missing == ["hi"] and "the session ended" in outcomes[3].output


def test_desired_state_page_shows_one_example_of_every_kind(tmp_path: Path) -> None:
    """The files ``docs/desired-state.md`` writes declare every kind the tool manages."""
    from reconciler.state.kinds import Kind

    page = ROOT / "docs" / "desired-state.md"
    for block in blocks(page):
        if block.directive == "file":
            (tmp_path / Path(block.argument).name).write_text(block.text)
    state = load_state(tmp_path, env={}, require_values=False)
    assert {kind for kind in Kind if not state.of(kind)} == set()
