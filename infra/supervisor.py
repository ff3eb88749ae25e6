"""Runs a set of processes and keeps them running: one that exits is restarted with back-off
(logged, and counted in the child's NORTHSTAR_RESTARTS), never taking the others down.
SIGTERM or SIGINT stops them all within `grace_s`, then kills what is left: every Northstar
process survives kill -9 by design (checkpoints in PostgreSQL), so a hard stop loses nothing.
If the supervisor itself is killed, the kernel kills its children (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger("northstar.supervisor")

_PR_SET_PDEATHSIG = 1
FIRST_DELAY_S, MAX_DELAY_S, STABLE_AFTER_S = 1.0, 30.0, 60.0


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    restart: bool = True  # False: a load generator the user may stop; it stays stopped


@dataclass
class _Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0  # in all
    failures: int = 0  # in a row (reset after a stable run): the back-off's exponent
    due_at: float | None = field(default=None)  # when a restart is scheduled


def restart_delay(failures: int) -> float:
    """1 s, 2 s, 4 s ... at most 30 s before restarting a process that failed this many times
    in a row."""
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, failures - 1))


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Supervisor:
    def __init__(
        self, specs: Sequence[ChildSpec], log_dir: Path | None = None, grace_s: float = 4.0
    ) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.log_dir = log_dir
        self.grace_s = grace_s
        self._stopping = False

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def run(self) -> None:
        """Start every child (unless started) and supervise until SIGTERM/SIGINT."""
        previous = {
            s: signal.signal(s, self._request_stop) for s in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            if not any(c.proc for c in self.children):
                self.start()
            while not self._stopping:
                self.poll()
                time.sleep(0.2)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def poll(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.proc is not None and child.proc.poll() is not None:
                code, ran = child.proc.returncode, now - child.started_at
                child.proc = None
                if not child.spec.restart:
                    log.info("process_stopped", process=child.spec.name, exit_code=code)
                    continue
                child.failures = 1 if ran > STABLE_AFTER_S else child.failures + 1
                delay = restart_delay(child.failures)
                child.due_at = now + delay
                log.warning(
                    "process_exited", process=child.spec.name, exit_code=code, restart_in_s=delay
                )
            if child.proc is None and child.due_at is not None and now >= child.due_at:
                child.restarts += 1
                child.due_at = None
                self._spawn(child)
                log.warning("process_restarted", process=child.spec.name, restarts=child.restarts)

    def stop(self) -> None:
        self._stopping = True
        procs = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()  # safe: every process is built to survive kill -9
                proc.wait()

    def _request_stop(self, *_: object) -> None:
        self._stopping = True

    def _spawn(self, child: _Child) -> None:
        env = {**os.environ, "NORTHSTAR_RESTARTS": str(child.restarts)}
        out = open(self.log_dir / f"{child.spec.name}.log", "ab") if self.log_dir else None
        try:
            child.proc = subprocess.Popen(
                list(child.spec.argv),
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent,
            )
        finally:
            if out:
                out.close()
        child.started_at = time.monotonic()
