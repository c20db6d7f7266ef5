"""Runner processes: start one, send it JSON requests, read its JSON answers with a timeout."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

#: The runner scripts; a runner runs with this folder as its script directory (``sys.path[0]``) and cwd.
RUNNERS_DIR = Path(__file__).resolve().parent.parent / "runners"


class RunnerError(RuntimeError):
    """A runner answered with an error, died, or did not answer in time."""


class RunnerProcess:
    """One runner (``python benchmarks/runners/runner_*.py``) serving requests over stdin/stdout.

    Args:
        argv: Interpreter, runner script (absolute, or relative to ``RUNNERS_DIR``) and its arguments.
        env: Environment of the process.
        log_path: File that receives the runner's stderr (library output included).
    """

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv = argv
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
            cwd=RUNNERS_DIR,
            env=env,
        )
        self._answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._answers.put(line)
        self._answers.put(None)

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc.poll() is None

    def log_tail(self, max_chars: int = 1500) -> str:
        """The end of the runner's stderr log."""
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:].strip()
        except OSError:
            return ""

    def request(self, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``msg`` and return the answer; raise ``RunnerError`` on an error answer, exit or timeout."""
        if not self.alive():
            raise RunnerError(f"runner exited with code {self.proc.returncode}: {self.log_tail()}")
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise RunnerError(f"runner stdin closed ({exc}): {self.log_tail()}") from exc
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise RunnerError(f"no answer to {msg.get('cmd')!r} within {timeout:.0f} s; runner killed") from None
        if line is None:
            self.proc.wait(timeout=30)
            raise RunnerError(f"runner exited with code {self.proc.returncode}: {self.log_tail()}")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RunnerError(answer.get("error", "unknown error"))
        return answer

    def kill(self) -> None:
        """Kill this runner (the process this harness started) and reap it."""
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> dict[str, Any] | None:
        """Ask for ``finish`` (peak RSS), then make sure the process is gone; ``None`` if it failed."""
        answer = None
        if self.alive():
            try:
                answer = self.request({"cmd": "finish"}, timeout=60)
            except RunnerError:
                answer = None
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self._log.close()
        return answer


def runner_argv(python: str | Path, script: str, *args: str) -> tuple[str, ...]:
    """``python RUNNERS_DIR/script args...``: how a runner script is started under a column's interpreter."""
    return (str(python), str(RUNNERS_DIR / script), *args)


def runner_env(
    threads: int, extra: dict[str, str] | None = None, isolated: bool = False, pythonpath: str | None = None
) -> dict[str, str]:
    """The environment of every runner: identical thread settings for every column.

    ``isolated`` (the baseline) leaves out ``PYTHONPATH``, so that the interpreter sees only its own
    virtualenv: a ``PYTHONPATH`` with polymix-torch's sources would put its drop-in ``pypolymix``
    before the real one. ``pythonpath`` replaces it (a "before" column: another checkout's sources).
    """
    env = dict(os.environ)
    if isolated:
        env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    env.update(
        {
            "POLYMIX_BENCH_THREADS": str(threads),
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads),
            "TORCHINDUCTOR_COMPILE_THREADS": "1",
            "JAX_PLATFORMS": "cpu",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra or {})
    return env
