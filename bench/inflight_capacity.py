"""In-flight jobs are not bounded by workers: 500 jobs of 10 s each, on 2 workers.

A design that held a worker per waiting job would need 500 / 2 × 10 s = 2,500 s; ours
polls in batches from one ticker, so the whole lot should take little more than the 10 s
the provider needs. Prints seconds until all are done against that 10 s ideal.

    .venv/bin/python bench/inflight_capacity.py --jobs 500 --latency 10
"""

import argparse
import time

from common import files_storage, report, setup_django, start_cluster, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--latency", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    args = parser.parse_args()

    setup_django()
    files_storage("inflight")
    from django.db.models import Max

    from django_tryon.models import Status, TryOnJob
    from django_tryon.services import request_tryon
    from tests.fixtures import create_garment, create_model_photo
    from tests.shop.models import Product

    provider = {"BACKEND": "bench.providers.FixedLatencyProvider", "LATENCY": args.latency}
    cluster = start_cluster(
        args.workers, {"PROVIDERS": {"bench": provider}, "DEFAULT_PROVIDER": "bench"}, args.broker
    )
    try:
        garment = create_garment(Product.objects.create(name="Bench shirt"))
        photo = create_model_photo()
        start = time.monotonic()
        for i in range(args.jobs):
            request_tryon(garment, photo, options={"n": i})
        created = time.monotonic() - start
        done = TryOnJob.objects.filter(status=Status.SUCCEEDED)
        elapsed = (
            wait_for(lambda: done.count() >= args.jobs, timeout=args.latency * 30 + 120) + created
        )
        peak = TryOnJob.objects.aggregate(Max("attempts"))["attempts__max"]
        print(
            f"{args.jobs} jobs created in {created:.1f} s; all done after {elapsed:.1f} s; max submissions per job {peak}"
        )
    finally:
        cluster.stop()
    report(
        "inflight_capacity",
        elapsed,
        args.latency,
        "seconds until all done vs the provider's latency",
        f"{args.jobs} jobs, {args.workers} workers, {args.broker} broker",
    )


if __name__ == "__main__":
    main()
