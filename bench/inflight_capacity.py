"""In-flight jobs are not bounded by workers: N jobs of 10 s each, on 2 workers.

A design that held a worker per waiting job would need N / 2 × 10 s; ours polls in
batches from one ticker, so the whole lot should take little more than the 10 s the
provider needs. Prints seconds from the first creation until all are done, against that
10 s ideal, and where the time went:

- creation: from the first job created to the last;
- dispatch: from the first creation until every job was submitted to the provider;
- polling: how late results were noticed (result ready - (submitted + latency));
- storage: from a result noticed to it being stored and the job done.

The jobs are created either by ``request_tryon`` calls (``--via requests``, split over
``--processes`` processes), or as the admin's "Generate try-ons" does, as one batch
(``--via batch``: products × model photos, planned and created in one ``create_batch``).

    .venv/bin/python bench/inflight_capacity.py --jobs 500 --latency 10
    .venv/bin/python bench/inflight_capacity.py --jobs 5000 --via batch --broker redis
    .venv/bin/python bench/inflight_capacity.py --jobs 5000 --processes 4 --broker redis
"""

import argparse
import math
import multiprocessing
import statistics
import time
from datetime import timedelta

from common import files_storage, report, setup_django, start_cluster, wait_for


def request_share(garment_id: int, photo_id: int, numbers: range, ready: object) -> None:
    """One process's share of the ``request_tryon`` calls (a web process, say)."""
    from django.db import connections

    from django_tryon.models import Garment, ModelPhoto
    from django_tryon.services import request_tryon

    connections.close_all()  # never share the parent's connection
    garment, photo = Garment.objects.get(pk=garment_id), ModelPhoto.objects.get(pk=photo_id)
    ready.wait()  # type: ignore[attr-defined]
    for i in numbers:
        request_tryon(garment, photo, options={"n": i})


def seed_batch(jobs: int) -> object:
    """Products with a garment each, and model photos: products × photos == ``jobs``."""
    from django.core.files.base import ContentFile

    from django_tryon.models import Garment, ModelPhoto
    from tests.fixtures import make_image
    from tests.shop.models import Product

    photos = max(d for d in range(1, math.isqrt(jobs) + 1) if jobs % d == 0)
    for i in range(photos):
        photo = ModelPhoto(name=f"Model {i}")
        photo.image.save("m.jpg", ContentFile(make_image((384, 512), color=(i % 256, 90, 60))))
    ids = []
    for i in range(jobs // photos):
        product = Product.objects.create(name=f"P{i}")
        ids.append(product.pk)
        garment = Garment(product=product, name=f"G{i}", category="upper_body")
        image = make_image((200, 200), "JPEG", (i % 256, i // 256 % 256, 128), person=False)
        garment.image.save("g.jpg", ContentFile(image, name="g.jpg"))
    return Product.objects.filter(pk__in=ids)


def create_batch_of(products: object) -> int:
    """What the admin's confirm step does: select, plan, one batch."""
    from django_tryon.models import Source
    from django_tryon.services import (
        create_batch,
        plan_generation,
        select_garments,
        suitable_model_photos,
    )

    selection = select_garments(products)
    photos = suitable_model_photos(selection.categories)
    plan = plan_generation(selection.garments, photos, aliases=["bench"])
    return create_batch(plan, "bench", source=Source.ADMIN).jobs.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--latency", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--via", choices=["requests", "batch"], default="requests")
    parser.add_argument("--processes", type=int, default=1, help="for --via requests")
    args = parser.parse_args()

    setup_django()
    files_storage("inflight")
    from django.db import connections
    from django.db.models import Max, Min

    from django_tryon.models import Status, TryOnJob
    from django_tryon.services import request_tryon
    from tests.fixtures import create_garment, create_model_photo
    from tests.shop.models import Product

    provider = {"BACKEND": "bench.providers.FixedLatencyProvider", "LATENCY": args.latency}
    if args.via == "batch":
        products = seed_batch(args.jobs)
    else:
        garment = create_garment(Product.objects.create(name="Bench shirt"))
        photo = create_model_photo()
    cluster = start_cluster(
        args.workers, {"PROVIDERS": {"bench": provider}, "DEFAULT_PROVIDER": "bench"}, args.broker
    )
    try:
        if args.via == "batch":
            start = time.monotonic()
            made = create_batch_of(products)
            assert made == args.jobs, made
        elif args.processes == 1:
            start = time.monotonic()
            for i in range(args.jobs):
                request_tryon(garment, photo, options={"n": i})
        else:
            connections.close_all()
            fork = multiprocessing.get_context("fork")
            ready = fork.Event()
            shares = [range(p, args.jobs, args.processes) for p in range(args.processes)]
            children = [
                fork.Process(target=request_share, args=(garment.pk, photo.pk, share, ready))
                for share in shares
            ]
            for child in children:
                child.start()
            time.sleep(2)  # every child connected and waiting
            start = time.monotonic()
            ready.set()
            for child in children:
                child.join()
                assert child.exitcode == 0, child.exitcode
        created = time.monotonic() - start
        done = TryOnJob.objects.filter(status=Status.SUCCEEDED)
        elapsed = (
            wait_for(lambda: done.count() >= args.jobs, timeout=args.latency * 30 + 600) + created
        )
        jobs = TryOnJob.objects.exclude(garment=None)
        times = jobs.aggregate(
            first=Min("created_at"),
            last=Max("created_at"),
            submitted=Max("submitted_at"),
            ready=Max("result_ready_at"),
            finished=Max("finished_at"),
            peak=Max("attempts"),
        )
        rows = list(jobs.values_list("submitted_at", "result_ready_at", "finished_at"))
        late = [(r - s).total_seconds() - args.latency for s, r, _ in rows if r]
        store = [(f - r).total_seconds() for _, r, f in rows if r]
        first = times["first"]

        def since(moment: object) -> float:
            return (moment - first) / timedelta(seconds=1)  # type: ignore[operator]

        breakdown = (
            f"creation {created:.1f} s, all submitted at {since(times['submitted']):.1f} s, "
            f"all results ready at {since(times['ready']):.1f} s, all done at "
            f"{since(times['finished']):.1f} s; results noticed late by {statistics.mean(late):.2f} s "
            f"on average (max {max(late):.2f}), stored {statistics.mean(store):.2f} s after "
            f"(max {max(store):.2f}); max submissions per job {times['peak']}"
        )
        print(f"{args.jobs} jobs created in {created:.1f} s; all done after {elapsed:.1f} s")
        print(breakdown)
    finally:
        cluster.stop()
    how = "one batch" if args.via == "batch" else f"request_tryon from {args.processes} process(es)"
    report(
        "inflight_capacity",
        elapsed,
        args.latency,
        "seconds from the first creation until all done vs the provider's latency",
        f"{args.jobs} jobs via {how}, {args.workers} workers, {args.broker} broker; {breakdown}",
    )
    assert times["peak"] == 1, "a job was submitted twice"


if __name__ == "__main__":
    main()
