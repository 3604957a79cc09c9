"""Start `lantern` commands in tests without paying for their imports every time.

A `lantern serve` process spent most of its start importing Lantern, FastAPI, SQLAlchemy,
pydantic's models and the worker runtime (about 3 s of CPU on a quiet machine, more under
load), once for each of the browser suite's thirty-odd servers; a one-off command (`setup
import`, `audit verify`, `purge`) about 1.5 s. The launcher is a Python process that
imports all that once, then forks a child for each command it is asked for: the child takes the
command's environment, working directory and arguments and runs `workers.cli.main()`, the same
code as the `lantern` script, in a process of its own (own pid, own signals, own database
connections, its own event loop: the launcher has none, and no thread, when it forks).

Run as `python -m tests.launcher`: one JSON request a line on stdin (`argv`, `env`, `cwd`,
`stderr` and `stdout`: files the child's output is appended to, stdout discarded when not given;
`status`: a file the child writes its exit status to), one JSON answer a line on stdout (`pid`).
It exits when its stdin closes, terminating the children still running. The suite's side is
`Launcher` (in the test process): `spawn` returns a `Launched`, which answers `poll`, `wait`,
`terminate` and `kill` as `subprocess.Popen` does, through a pidfd (the child is the launcher's,
not the test's: the launcher reaps it): its `returncode` is the status the child wrote, or -1
for one that could not write it (killed by a signal).

`shared()` is the test process's launcher, started when first asked for and closed at the end
of the session (tests/conftest.py); `run_lantern` runs one command through it as `subprocess.run`
would. `LANTERN_TEST_SPAWN=1` makes both start plain subprocesses instead (`shared()` is None).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import uuid
from pathlib import Path
from typing import Any

# What `lantern serve` and `lantern demo` import as they run (most of a start's CPU).
WARM = (
    "workers.cli",
    "workers.runtime",
    "api.main",
    "api.demo",
    "api.migrations",
    "alembic.command",
    "uvicorn",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.main",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.lifespan.on",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
)
EXITED = -1  # the exit status of a launched child that could not write its own (killed by a signal)


class Launched:
    """A child of the launcher, as much of `subprocess.Popen` as the suite uses."""

    def __init__(self, pid: int, status: Path) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._status = status
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it has already exited (and was reaped)
            self._fd = None
            self._set_returncode()

    def _set_returncode(self) -> None:
        try:
            self.returncode = int(self._status.read_text())
        except (OSError, ValueError):
            self.returncode = EXITED

    def _exited(self, timeout: float) -> bool:
        if self.returncode is not None:
            return True
        assert self._fd is not None
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if ready:
            os.close(self._fd)
            self._fd = None
            self._set_returncode()
        return bool(ready)

    def poll(self) -> int | None:
        self._exited(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited(3600 if timeout is None else timeout):
            raise subprocess.TimeoutExpired(f"launched pid {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None and self._fd is not None:
            try:
                signal.pidfd_send_signal(self._fd, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Launcher:
    """The test process's handle on one launcher process (started by `start`)."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.launcher"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()  # tests stop and start servers from threads too
        ready = self._read()
        assert ready == {"ready": True}, ready

    def _read(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the launcher stopped (exit status {self._process.wait(10)})")
        return json.loads(line)

    def spawn(
        self, argv: list[str], *, env: dict[str, str], cwd: Path, stderr: Path, stdout: Path | None = None
    ) -> Launched:
        status = stderr.with_name(f"{stderr.name}.status-{uuid.uuid4().hex[:8]}")
        request = {
            "argv": argv,
            "env": env,
            "cwd": str(cwd),
            "stderr": str(stderr),
            "stdout": os.devnull if stdout is None else str(stdout),
            "status": str(status),
        }
        with self._lock:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            answer = self._read()
        return Launched(answer["pid"], status)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the launcher terminates its children and exits
        try:
            self._process.wait(15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


SPAWN = os.environ.get("LANTERN_TEST_SPAWN") == "1"
ROOT = Path(__file__).resolve().parent.parent
_LANTERN = Path(sys.executable).with_name("lantern")
LANTERN_COMMAND = [str(_LANTERN)] if _LANTERN.exists() else [sys.executable, "-m", "workers.cli"]
_shared: Launcher | None = None
_shared_lock = threading.Lock()


def shared() -> Launcher | None:
    """This test process's launcher (None under LANTERN_TEST_SPAWN=1)."""
    global _shared
    if SPAWN:
        return None
    with _shared_lock:
        if _shared is None:
            _shared = Launcher(ROOT, dict(os.environ))
        return _shared


def close_shared() -> None:
    global _shared
    with _shared_lock:
        launcher, _shared = _shared, None
    if launcher is not None:
        launcher.close()


def run_lantern(
    args: list[str], *, env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`lantern ARGS` with `env` in `cwd`, its output captured (`subprocess.run(..., text=True)`)."""
    launcher = shared()
    if launcher is None:
        return subprocess.run(
            [*LANTERN_COMMAND, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    with tempfile.TemporaryDirectory(prefix="lantern-run-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        process = launcher.spawn(list(args), env=env, cwd=cwd, stderr=err, stdout=out)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise
        return subprocess.CompletedProcess(
            ["lantern", *args],
            process.wait(),
            out.read_text(errors="replace"),
            err.read_text(errors="replace"),
        )


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the command asked for, run it, and exit with its status."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the launcher's handler is not the command's
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = ["lantern", *request["argv"]]
        from workers.cli import main

        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever it was, it goes to the log and the child exits
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            Path(request["status"]).write_text(str(code))
        finally:
            os._exit(code)


def _reap(signum: int, frame: object) -> None:
    """Wait for every child that has exited (so its CPU counts as the launcher's children's, as a
    subprocess's counts for the test process that waits for it)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # an optional part (httptools) that is not installed
    assert threading.active_count() == 1, "the launcher must not fork with threads running"
    signal.signal(signal.SIGCHLD, _reap)
    children: list[int] = []  # pidfds: a pid may be reused once the kernel has reaped it
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            pid = os.fork()
            if pid == 0:
                _child(json.loads(line))
            try:
                children.append(os.pidfd_open(pid))
            except ProcessLookupError:
                pass  # already exited
            print(json.dumps({"pid": pid}), flush=True)
    finally:
        for fd in children:
            try:
                signal.pidfd_send_signal(fd, signal.SIGTERM)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
