"""A newcomer's first start: seconds from a fresh clone to the demo shop's first page.

Clones the repository (its committed HEAD, or ``--ref``) into a temporary folder, runs
``make demo`` there in the background, exactly as the README says, and polls
``http://127.0.0.1:<port>/`` until it answers 200 with the seeded catalogue. The clock
starts when ``make`` starts (the local clone takes well under a second). Each output line
of ``make`` is timestamped, so the run also prints where the time went: the virtualenv
and install, ``migrate`` and ``seed_demo``, the server's start. It also reports the CPU
seconds spent until then: on this shared machine the wall time follows the load.

    .venv/bin/python bench/first_start.py --runs 3 --baseline-ref main
    .venv/bin/python bench/first_start.py --cold   # pip's download cache off, as on a new machine

``--baseline-ref`` measures that commit the same way, alternating with the current one
so both see the same machine load; without it the baseline is the 60 s target.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import ROOT, report

TARGET_SECONDS = 60.0
# Output lines that start a phase of ``make demo`` (make echoes each command), and its name.
PHASES = {
    r"-m venv\b": "virtualenv",
    r"\bpip\b.* install\b": "install",
    r"manage\.py migrate\b": "migrate",  # before seed_demo --migrate did both
    r"manage\.py seed_demo\b": "seed_demo",
    r"^\[demo\] starting runserver": "server start",
}
# What the shop's own settings must not pick up from the caller's environment.
SCRUBBED = ("VIRTUAL_ENV", "PYTHONPATH", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL")


# The first page counts once it shows the seeded catalogue, not merely answers.
SEEDED = "Classic Oxford Shirt"


def answers(url: str, expect: str = "") -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and expect in response.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return False


def session_cpu(session: int) -> float | None:
    """CPU seconds spent so far by the processes of ``session`` (Linux ``/proc``): each live
    one's own and that of the children it has reaped, which covers the finished steps."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # After the name: state ppid pgrp session ... utime(14) stime cutime cstime(17).
        if int(fields[3]) == session:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def first_start(
    source: Path, ref: str | None, port: int, cold: bool = False, timeout: float = 900
) -> tuple[float, float | None, list[tuple[float, str]]]:
    """Seconds from ``make demo`` in a fresh clone of ``source`` until the first 200 of
    ``/``, the CPU seconds spent by then, and when each phase of ``make demo`` began."""
    with tempfile.TemporaryDirectory(prefix="first-start-") as tmp:
        clone = Path(tmp) / "django-tryon"
        subprocess.run(["git", "clone", "--quiet", str(source), str(clone)], check=True)
        if ref:
            subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", ref], check=True)
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        if cold:
            env["PIP_NO_CACHE_DIR"] = "1"
        timeline: list[tuple[float, str]] = []
        start = time.monotonic()
        make = subprocess.Popen(
            ["make", "demo", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

        def read() -> None:
            assert make.stdout is not None
            for line in make.stdout:
                timeline.append((time.monotonic() - start, line.rstrip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            url = f"http://127.0.0.1:{port}/"
            while not answers(url, SEEDED):
                if make.poll() is not None:
                    tail = "\n".join(line for _, line in timeline[-30:])
                    raise RuntimeError(f"make demo exited with {make.returncode}:\n{tail}")
                if time.monotonic() - start > timeout:
                    raise TimeoutError(f"no 200 from {url} after {timeout} s")
                time.sleep(0.2)
            elapsed = time.monotonic() - start
            cpu = session_cpu(make.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(make.pid, signal.SIGTERM)
            try:
                make.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(make.pid, signal.SIGKILL)
                make.wait()
            reader.join(timeout=5)
        phases = [
            (at, name)
            for at, line in timeline
            for pattern, name in PHASES.items()
            if re.search(pattern, line)
        ]
        return elapsed, cpu, phases


def describe(elapsed: float, phases: list[tuple[float, str]]) -> str:
    marks = [*phases, (elapsed, "first 200")]
    return ", ".join(f"{name} at {at:.1f} s" for at, name in marks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=ROOT, help="repository to clone")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ref", help="commit to measure (default: the checkout's HEAD)")
    parser.add_argument("--baseline-ref", help="commit to measure alongside, as the baseline")
    parser.add_argument("--cold", action="store_true", help="no pip download cache")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    if answers(f"http://127.0.0.1:{args.port}/"):
        parser.error(f"port {args.port} already answers: pick another with --port")

    current: list[float] = []
    baseline: list[float] = []
    cpu_seconds: list[float] = []
    for run in range(1, args.runs + 1):
        todo = [("current", args.ref, current)]
        if args.baseline_ref:
            todo.append(("baseline", args.baseline_ref, baseline))
        for label, ref, into in todo:
            elapsed, cpu, phases = first_start(args.source, ref, args.port, args.cold, args.timeout)
            into.append(elapsed)
            if label == "current" and cpu is not None:
                cpu_seconds.append(cpu)
            print(
                f"run {run} {label} ({ref or 'HEAD'}): {elapsed:.1f} s, CPU {cpu or 0:.1f} s, "
                f"load {os.getloadavg()[0]:.1f}; {describe(elapsed, phases)}"
            )
            sys.stdout.flush()

    def spread(values: list[float]) -> str:
        return f"median {statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"

    load = os.getloadavg()[0]
    note = (
        f"{'cold' if args.cold else 'warm'} pip cache, load {load:.1f}; current {spread(current)}"
    )
    if cpu_seconds:
        note += f"; CPU to the first 200: median {statistics.median(cpu_seconds):.1f} s"
    if baseline:
        note += f"; baseline {args.baseline_ref}: {spread(baseline)}"
    report(
        "first_start",
        statistics.median(current),
        statistics.median(baseline) if baseline else TARGET_SECONDS,
        "seconds from `make demo` in a fresh clone until / shows the seeded shop vs "
        + (f"the same for {args.baseline_ref}" if baseline else "the 60 s target"),
        note,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
