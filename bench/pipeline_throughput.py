"""Jobs per second through the whole pipeline, against no-op django-q2 tasks per second.

Both run in the same qcluster (same broker, same workers), in turn, ``--rounds`` times
each; the figures are the means. The provider answers at once with a small image, so
what is measured is our overhead: the service layer, the claim, the submit, the storage
save, the state writes.

    .venv/bin/python bench/pipeline_throughput.py --jobs 300
"""

import argparse
import time

from common import files_storage, report, setup_django, start_cluster, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--rounds", type=int, default=2, help="each measured this often, in turn")
    args = parser.parse_args()
    n = args.jobs

    setup_django()
    files_storage("throughput")
    from django_q.models import Success
    from django_q.tasks import async_task

    from django_tryon.models import Status, TryOnJob
    from django_tryon.services import request_tryon
    from tests.fixtures import create_garment, create_model_photo
    from tests.shop.models import Product

    provider = {"BACKEND": "bench.providers.FixedLatencyProvider", "LATENCY": 0}
    cluster = start_cluster(
        args.workers, {"PROVIDERS": {"bench": provider}, "DEFAULT_PROVIDER": "bench"}, args.broker
    )
    garment = create_garment(Product.objects.create(name="Bench shirt"))
    photo = create_model_photo()
    baselines, values = [], []
    try:
        # Interleaved, so that drift on a shared machine affects both alike.
        for round_ in range(args.rounds):
            start = time.monotonic()
            for i in range(n):
                async_task("bench.tasks.noop", i)
            expected = n * (round_ + 1)
            noops = Success.objects.filter(func="bench.tasks.noop")
            wait_for(lambda: noops.count() >= expected, timeout=600)  # noqa: B023
            baselines.append(n / (time.monotonic() - start))
            print(f"baseline: {n} no-op tasks, {baselines[-1]:.1f} tasks/s")

            start = time.monotonic()
            for i in range(n):
                request_tryon(garment, photo, options={"round": round_, "n": i})
            created = time.monotonic() - start
            done = TryOnJob.objects.filter(status=Status.SUCCEEDED)
            wait_for(lambda: done.count() >= expected, timeout=600)  # noqa: B023
            values.append(n / (time.monotonic() - start))
            print(
                f"pipeline: {n} jobs, {values[-1]:.1f} jobs/s "
                f"(request_tryon took {created:.2f} s of it)"
            )
            assert TryOnJob.objects.exclude(status=Status.SUCCEEDED).count() == 0
    finally:
        cluster.stop()
    report(
        "pipeline_throughput",
        sum(values) / len(values),
        sum(baselines) / len(baselines),
        "jobs/s vs no-op tasks/s",
        f"{n} each, {args.rounds} rounds, {args.workers} workers, {args.broker} broker",
    )


if __name__ == "__main__":
    main()
