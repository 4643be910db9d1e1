"""Run every benchmark in bench/ (``make bench``). Prints each RESULT line.

    .venv/bin/python bench/run_all.py            # full sizes; changes no tracked file
    .venv/bin/python bench/run_all.py --record   # ...and appends the figures to RESULTS.md
    .venv/bin/python bench/run_all.py --smoke    # tiny sizes: does each still run?

``SMOKE`` holds the tiny arguments of every script, the soak's too; the test suite runs
each script with them (``tests/bench/``), so a benchmark that no longer runs fails a test
instead of rotting until someone next measures.
"""

import subprocess
import sys
from pathlib import Path
from shlex import split

HERE = Path(__file__).resolve().parent
# Helpers, not benchmarks. The soak has its own target (``make soak``). first_start clones
# the repository and installs the demo from a package index: minutes, run by hand
# (tests/bench/test_first_start.py runs it on a stand-in repository).
NOT_BENCHMARKS = {
    "common",
    "settings",
    "providers",
    "tasks",
    "run_all",
    "soak",
    "first_start",
    "__init__",
}

# Each script's arguments for a run of seconds that still goes through all of its steps.
SMOKE: dict[str, list[str]] = {
    "admin_changelist": split("--jobs 40 --products 5"),
    # 10 products: the script compares the queries of 1/10 of the selection with all of it.
    "admin_generate": split("--products 10 --photos 1 --runs 1"),
    "conversion_report": split("--events 400 --baseline-events 40"),
    "inflight_capacity": split("--jobs 4 --latency 0.5 --workers 1"),
    "load_shopper_api": split("--clients 2 --seconds 2 --workers 1"),
    "photo_checks": split("--bases 1"),
    "pipeline_throughput": split("--jobs 4 --workers 1 --rounds 1"),
    "result_memory": split("--mb 0.5"),
    # The sweep sent every 2 s instead of waiting for the schedule; a kill still costs a lease.
    "soak": split(
        "--jobs 6 --kill-jobs 1 --latency 0.5 --kill-every 0.5 "
        "--sweep-every 2 --redispatch-after 2 --timeout 240"
    ),
    "status_endpoint": split("--seconds 0.5 --clients 2 --workers 1 --threads 2"),
    "upload_memory": split("--uploads 2"),
}


def benchmarks() -> list[Path]:
    return [s for s in sorted(HERE.glob("*.py")) if s.stem not in NOT_BENCHMARKS]


def main() -> int:
    args = sys.argv[1:]
    smoke = "--smoke" in args
    if smoke:
        args.remove("--smoke")
    failed = []
    for script in benchmarks():
        print(f"== {script.name}", flush=True)
        sized = [*SMOKE[script.stem], *args] if smoke else args
        if subprocess.run([sys.executable, script.name, *sized], cwd=HERE).returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
