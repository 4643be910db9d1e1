#!/usr/bin/env python
"""Run the demo shop: ``runserver`` and ``qcluster`` side by side, stopped together.

Each child runs in its own session (process group), so a Ctrl-C in the terminal reaches
only this script, which forwards it; whatever a child leaves behind (qcluster workers) is
killed with its group after a grace period. Exits non-zero if a child dies on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRACE_SECONDS = 10.0
# Created by ``manage.py seed_demo``; repeated here so this script needs no Django setup.
ADMIN_CREDENTIALS = "username admin, password admin"

_stop_signal: int | None = None


def _on_signal(signum: int, frame: object) -> None:
    global _stop_signal
    _stop_signal = signum


def start(name: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, str(HERE / "manage.py"), *args]
    print(f"[demo] starting {name}: {' '.join(args)}", flush=True)
    return subprocess.Popen(command, env=env, start_new_session=True)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def stop(children: dict[str, subprocess.Popen[bytes]], signum: int) -> None:
    """Forward ``signum``, wait up to the grace period, then kill what is left."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signum)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[demo] {name} did not stop within {GRACE_SECONDS:g} s: killing it", flush=True)
    for child in children.values():
        # The whole group: a killed leader would leave its workers behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    # --noreload: one process to stop; templates still reload in DEBUG. --skip-checks:
    # `make demo` ran them in `seed_demo` a moment ago. The cluster starts once the shop
    # answers, so that the two don't compete for the CPU while the first page is on its way.
    children = {
        "runserver": start(
            "runserver", "runserver", f"{args.host}:{args.port}", "--noreload", "--skip-checks"
        ),
    }
    announced = False
    failed: str | None = None
    while _stop_signal is None and failed is None:
        for name, child in children.items():
            if child.poll() is not None:
                failed = f"{name} exited unexpectedly with code {child.returncode}"
                break
        if not announced and failed is None and port_open(args.host, args.port):
            base = f"http://{args.host}:{args.port}"
            print(
                f"\n[demo] Shop:  {base}/\n[demo] Admin: {base}/admin/  ({ADMIN_CREDENTIALS})\n"
                "[demo] Press Ctrl-C to stop.\n",
                flush=True,
            )
            announced = True
            children["qcluster"] = start("qcluster", "qcluster")
        time.sleep(0.2)

    if failed:
        print(f"[demo] {failed}; stopping the rest", file=sys.stderr, flush=True)
        stop(children, signal.SIGTERM)
        return 1
    assert _stop_signal is not None
    print(
        f"[demo] {signal.Signals(_stop_signal).name}: stopping runserver and qcluster", flush=True
    )
    stop(children, _stop_signal)
    print("[demo] stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
