"""Jobs per second through the whole pipeline, against no-op django-q2 tasks per second.

Both run in the same qcluster (same broker, same workers), one after the other. The
provider answers at once with a small image, so what is measured is our overhead: the
service layer, the claim, the submit, the storage save, the state writes.

    .venv/bin/python bench/pipeline_throughput.py --jobs 200
"""

import argparse
import time

from common import files_storage, report, setup_django, start_cluster, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
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
    try:
        start = time.monotonic()
        for i in range(n):
            async_task("bench.tasks.noop", i)
        print(f"baseline: enqueued in {time.monotonic() - start:.2f} s")
        wait_for(lambda: Success.objects.filter(func="bench.tasks.noop").count() >= n, timeout=600)
        baseline = n / (time.monotonic() - start)
        print(f"baseline: {n} no-op tasks, {baseline:.1f} tasks/s")

        garment = create_garment(Product.objects.create(name="Bench shirt"))
        photo = create_model_photo()
        start = time.monotonic()
        for i in range(n):
            request_tryon(garment, photo, options={"n": i})
        created = time.monotonic() - start
        done = TryOnJob.objects.filter(status=Status.SUCCEEDED)
        wait_for(lambda: done.count() >= n, timeout=600)
        value = n / (time.monotonic() - start)
        print(f"pipeline: {n} jobs, {value:.1f} jobs/s (request_tryon took {created:.2f} s of it)")
        assert TryOnJob.objects.exclude(status=Status.SUCCEEDED).count() == 0
    finally:
        cluster.stop()
    report(
        "pipeline_throughput",
        value,
        baseline,
        "jobs/s vs no-op tasks/s",
        f"{n} each, {args.workers} workers, {args.broker} broker",
    )


if __name__ == "__main__":
    main()
