"""Run a page's console blocks as one shell session, as a reader would, against the sandbox.

The session works in a fresh directory holding a copy of the repository's ``desired-state/``,
``examples/`` and ``schemas/`` and a ``.venv`` link to the running environment (so
``. .venv/bin/activate`` works as written), with none of the tool's variables set.
``reconcile sandbox`` (which runs until Ctrl-C) is started by the session in the background
on free ports; the ports the page shows are mapped to the real ones in every later command,
promised line and file, so the page can show fixed ports while tests never use them.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.blocks import Block, Command, blocks, commands, promise_matches

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("desired-state", "examples", "schemas")
CLEARED = ("HYDRA_ADMIN_URL", "APISIX_ADMIN_URL", "APISIX_ADMIN_KEY", "VIRTUAL_ENV", "RECONCILE_CACHE")
_URL_LINE = re.compile(r"^([\w-]+): https?://127\.0\.0\.1:(\d+)")
#: Variables bash owns (read-only or special): not carried from one script of a session to the next.
_SHELL_OWN = (r"^declare -[a-zA-Z-]*r|^declare -[a-zA-Z-]* (BASH|FUNCNAME|GROUPS|PIPESTATUS|SHELLOPTS|EUID|PPID|UID"
              r"|SHLVL|_=|RANDOM|SECONDS|LINENO|HISTCMD|EPOCH|SRANDOM|DIRSTACK|COMP_|OPTERR|OPTIND|IFS)")
_PORT_FLAG = re.compile(r"(--[\w-]*port)(\s+|=)(\d+)")


def _read_banner(process: subprocess.Popen[str], quiet: float = 1.5, limit: float = 120) -> list[str]:
    """The lines the sandbox prints once it serves: all of them up to ``quiet`` seconds of silence
    after the admin key, whatever lines later versions add."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    printed: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        keyed = any(p.startswith("apisix-admin-key:") for p in printed)
        try:
            line = lines.get(timeout=quiet if keyed else max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            if keyed:
                break
            continue
        if line is None:
            break
        printed.append(line)
    return printed


@dataclass
class Outcome:
    """What one command did."""

    command: Command
    exit_code: int
    output: str
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == self.command.expected_exit and not self.missing

    def explain(self) -> str:
        lines = [f"{self.command.where}: $ {self.command.text}",
                 f"  exit {self.exit_code} (the page expects {self.command.expected_exit})"]
        lines += [f"  promised line not printed: {line}" for line in self.missing]
        lines += ["  output:", *("    " + line for line in self.output.splitlines()[-40:])]
        return "\n".join(lines)


@dataclass
class Session:
    """One page's shell session."""

    doc: Path
    workdir: Path
    ports: dict[str, str] = field(default_factory=dict)
    sandbox: subprocess.Popen[str] | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def prepare(self) -> None:
        for name in COPIED:
            shutil.copytree(ROOT / name, self.workdir / name)
        (self.workdir / ".venv").symlink_to(Path(sys.prefix))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith(("PHOTO_", "RICH_"))}
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bindir)
        env["XDG_CACHE_HOME"] = str(self.workdir / ".cache")
        env["HOME"] = str(self.workdir)
        env["NO_COLOR"] = "1"
        return env

    def mapped(self, text: str) -> str:
        for doc_port, real in self.ports.items():
            text = re.sub(rf"(127\.0\.0\.1|localhost):{doc_port}\b", rf"\g<1>:{real}", text)
        return text

    # --- the sandbox -----------------------------------------------------------------------

    def start_sandbox(self, command: Command) -> Outcome:
        self.stop()  # a second sandbox on the page replaces the first, as Ctrl-C then a restart would
        self.ports.clear()
        argv = shlex.split(command.text.split(" #")[0].replace("\\\n", " "))
        assert argv[:2] == ["reconcile", "sandbox"], command.text
        flags = {m.group(1): m.group(3) for m in _PORT_FLAG.finditer(command.text)}
        args = [re.sub(r"^\d+$", "0", a) if i > 0 and argv[i - 1] in flags else a for i, a in enumerate(argv)]
        args = [a.split("=")[0] + "=0" if a.split("=")[0] in flags and "=" in a else a for a in args]
        exe = str(Path(sys.executable).parent / "reconcile")
        self.sandbox = subprocess.Popen([exe, *args[1:]], cwd=self.workdir, env=self.env(), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        printed = _read_banner(self.sandbox)
        real = {m.group(1): m.group(2) for m in map(_URL_LINE.match, printed) if m}
        for line in command.promised:
            match = _URL_LINE.match(line)
            if match and match.group(1) in real:
                self.ports[match.group(2)] = real[match.group(1)]
        names = {"--hydra-port": "hydra-admin", "--hydra-public-port": "hydra-public", "--apisix-port": "apisix-admin",
                 "--gateway-port": "gateway", "--login-port": "login", "--upstream-port": "upstream"}
        for flag, port in flags.items():
            if names.get(flag) in real:
                self.ports.setdefault(port, real[names[flag]])
        self.remap_files()
        output = "\n".join(printed)
        missing = promise_matches([self.mapped(p) for p in command.promised], output)
        return Outcome(command, 0 if "apisix-admin-key:" in output else 1, output, missing)

    def remap_files(self) -> None:
        for path in self.workdir.rglob("*"):
            if path.is_file() and not path.is_symlink() and ".venv" not in path.parts and path.suffix in (
                    ".yaml", ".yml", ".env", ".json", ".md", ".txt"):
                text = path.read_text(encoding="utf-8", errors="replace")
                new = self.mapped(text)
                if new != text:
                    path.write_text(new, encoding="utf-8")

    def stop(self) -> None:
        if self.sandbox is not None and self.sandbox.poll() is None:
            self.sandbox.terminate()
            try:
                self.sandbox.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.sandbox.kill()
                self.sandbox.wait()

    # --- running the page ------------------------------------------------------------------

    def run(self, timeout: float = 600) -> list[Outcome]:
        """Run every console block of the page in order; each command's outcome."""
        steps: list[Block | Command] = []
        for block in blocks(self.doc):
            if block.lang == "console":
                if block.directive == "skip":
                    self.skipped.append(f"{block.where}: {block.argument}")
                    continue
                steps += commands(block)
            elif block.directive == "file":
                steps.append(block)
        pending: list[Block | Command] = []
        for step in steps:
            if isinstance(step, Command) and step.text.startswith("reconcile sandbox") and "--help" not in step.text:
                self.run_script(pending, timeout)
                pending = []
                self.outcomes.append(self.start_sandbox(step))
            else:
                pending.append(step)
        self.run_script(pending, timeout)
        return self.outcomes

    def run_script(self, steps: list[Block | Command], timeout: float) -> None:
        """Run ``steps`` in one bash process, so ``cd``, ``export`` and variables carry over."""
        if not steps:
            return
        logs = self.workdir / ".docs-test"
        logs.mkdir(exist_ok=True)
        state = logs / "state.sh"
        script = ["set +e", f"cd {shlex.quote(str(self.workdir))}"]
        if state.exists():
            script.append(f". {shlex.quote(str(state))}")
        run: list[tuple[int, Command]] = []
        for step in steps:
            if isinstance(step, Block):
                marker = "DOCS_TEST_EOF"
                script.append(f"mkdir -p \"$(dirname {shlex.quote(step.argument)})\" && "
                              f"cat > {shlex.quote(step.argument)} <<'{marker}'\n{self.mapped(step.text)}{marker}")
                continue
            n = len(self.outcomes) + len(run)
            run.append((n, step))
            # eval: a command that does not parse fails alone (exit 2) instead of ending the session
            (logs / f"cmd.{n}").write_text(self.mapped(step.text) + "\n")
            script.append(f'eval "$(cat {logs}/cmd.{n})" > {logs}/out.{n} 2>&1 < /dev/null\n'
                          f"echo $? > {logs}/rc.{n}")
        # what the next script needs: the directory and the variables (a reader's terminal keeps them)
        script.append(f"{{ echo \"cd $(printf %q \"$PWD\")\"; declare -p | grep -v -E '{_SHELL_OWN}'; }} "
                      f"> {shlex.quote(str(state))}")
        (logs / "script.sh").write_text("\n".join(script) + "\n")
        subprocess.run(["bash", "--noprofile", "--norc", str(logs / "script.sh")], cwd=self.workdir, env=self.env(),
                       timeout=timeout, check=False, capture_output=True)
        for n, command in run:
            rc_file, out_file = logs / f"rc.{n}", logs / f"out.{n}"
            exit_code = int(rc_file.read_text()) if rc_file.exists() else -1
            output = out_file.read_text(errors="replace") if out_file.exists() else ""
            if exit_code == -1:
                output += "\n(no exit code: the session ended before this command finished)"
            missing = promise_matches([self.mapped(p) for p in command.promised], output)
            self.outcomes.append(Outcome(command, exit_code, output, missing))
