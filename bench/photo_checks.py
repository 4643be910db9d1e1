"""How right the shopper photo checks decide, on the labelled set of ``tests/photo_set.py``.

Every photo of the set (scikit-image's astronaut and cameraman, the demo's four drawn
people and the test suite's person, each blurred, darkened, brightened, made noisy,
compressed, cropped, scaled, flattened...) goes through ``check_photo_quality`` exactly as
a shopper's upload does. Two RESULT lines:

- ``photo_checks_refused``: the share (%) of unusable photos refused, for any reason,
  against the goal of 95%;
- ``photo_checks_wrongly_refused``: the share (%) of usable photos refused, against the
  goal of 2% (a ratio above 1 misses it).

The confusion table (labelled reason by decided reason) is printed, and with
``--record`` appended to ``bench/RESULTS.md`` under the RESULT lines. Photos labelled
"either" (a 1.5 px blur, 2 stops off...) count in neither share; the table shows what
was decided for them. No database is used.

    .venv/bin/python bench/photo_checks.py            # the whole set (~300 photos)
    .venv/bin/python bench/photo_checks.py --bases 1  # one picture's photos
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bases", type=int, default=None, help="only the first N pictures (default: all)"
    )
    bases = parser.parse_args().bases
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from tests import photo_set

    chosen = photo_set.samples(limit_bases=bases)
    started = time.monotonic()
    evaluation = photo_set.evaluate(chosen)
    seconds = time.monotonic() - started
    table = evaluation.table()
    print(table)
    for outcome in evaluation.mistakes():
        print(
            f"mistake: {outcome.sample.id} labelled {outcome.sample.label}, decided {outcome.verdict}"
        )
    pictures = ", ".join(sorted({s.base for s in chosen}))
    usable, unusable = len(evaluation.of(photo_set.USABLE)), len(evaluation.unusable)
    note = (
        f"{len(chosen)} photos from {pictures}: {unusable} unusable, {usable} usable, "
        f"{len(evaluation.of(photo_set.EITHER))} either; right reason for "
        f"{100 * evaluation.right_reason_share:.1f}% of the unusable; {seconds:.1f} s"
    )
    report(
        "photo_checks_refused",
        100 * evaluation.refused_share,
        95.0,
        "% of unusable photos refused vs the goal (>= 95%)",
        note,
    )
    report(
        "photo_checks_wrongly_refused",
        100 * evaluation.wrongly_refused_share,
        2.0,
        "% of usable photos refused vs the goal (<= 2%)",
        note,
    )
    if common.RECORD:
        with common.RESULTS.open("a") as out:
            out.write(f"\n  Photo checks, labelled by decided ({len(chosen)} photos):\n\n")
            out.write("".join(f"  {line}\n" for line in table.splitlines()))


if __name__ == "__main__":
    main()
