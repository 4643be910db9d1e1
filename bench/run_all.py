"""Run every benchmark in bench/ (``make bench``); each appends its RESULT to RESULTS.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Helpers, not benchmarks.
NOT_BENCHMARKS = {"common", "settings", "providers", "tasks", "run_all", "soak", "__init__"}


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.stem in NOT_BENCHMARKS:
            continue
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, script.name, *sys.argv[1:]], cwd=HERE).returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
