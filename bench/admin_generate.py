"""Generating try-ons for 1,000 products × 3 model photos: 3,000 jobs created and enqueued.

Timed: what the admin's "Generate try-ons" and ``tryon_generate`` do for a selection of
products, cold (no image digest known yet, so all 1,003 images are read and validated):
select the products' garments, find the model photos that suit them, plan (fingerprints,
identical earlier jobs in one query), ``bulk_create`` the batch, send one drain on
commit (asserted: one queue message for the 3,000 jobs). Baseline, in the same run: a bare ``bulk_create`` of the same 3,000 rows.

Then the query count of the confirm step for 100 products and for 1,000 products, which
must be the same. On Django < 6 with SQLite, Django splits a bulk INSERT into batches of
999 parameters (~24 rows), so only the INSERT statements grow there: they are counted
apart, and everything else must be equal; on Postgres (and Django 6 on SQLite) the totals
are equal too.

    .venv/bin/python bench/admin_generate.py [--products 1000] [--photos 3]
"""

import argparse
import statistics
import sys
import time

from common import files_storage, report, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    setup_django()
    files_storage("admin_generate")
    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_q.models import OrmQ

    from django_tryon.models import Garment, Lease, ModelPhoto, Source, TryOnBatch, TryOnJob
    from django_tryon.services import (
        create_batch,
        plan_generation,
        select_garments,
        suitable_model_photos,
    )
    from tests.fixtures import make_image
    from tests.shop.models import Product

    print(f"seeding {args.products} products with a garment each, {args.photos} model photos...")
    for i in range(args.photos):
        photo = ModelPhoto(name=f"Model {i}")
        # Named content, as an upload has: Django then records the image's dimensions.
        photo.image.save(
            "m.jpg",
            ContentFile(make_image((768, 1024), color=(60 * i, 120, 90)), name="m.jpg"),
            save=False,
        )
        photo.save()
    for i in range(args.products):
        product = Product.objects.create(name=f"Product {i}")
        garment = Garment(product=product, name=f"Garment {i}", category="upper_body")
        colour = (i % 256, i // 256 * 40 % 256, 255 - i % 256)
        image = make_image((400, 400), "JPEG", colour, person=False)
        garment.image.save("g.jpg", ContentFile(image, name="g.jpg"), save=False)
        garment.save()

    def reset(*, cold: bool) -> None:
        TryOnJob.objects.all().delete()
        TryOnBatch.objects.all().delete()
        OrmQ.objects.all().delete()
        # The drain's "on its way" mark goes with its message (the rows stay, as after migrate).
        Lease.objects.update(owner="", until=None)
        if cold:
            Garment.objects.update(image_digest="")
            ModelPhoto.objects.update(image_digest="")

    def generate(products: object) -> tuple[int, int]:
        """The flow the admin runs; returns (jobs created, messages enqueued)."""
        selection = select_garments(products)
        photos = suitable_model_photos(selection.categories)
        plan = plan_generation(selection.garments, photos, aliases=["sandbox"])
        batch = create_batch(plan, "sandbox", source=Source.ADMIN)
        return TryOnJob.objects.filter(batch=batch).count(), OrmQ.objects.count()

    # Ours, cold: every image read and validated inside the timing.
    timings = []
    for _ in range(args.runs):
        reset(cold=True)
        start = time.perf_counter()
        generate(Product.objects.all())
        timings.append(time.perf_counter() - start)
    jobs, enqueued = TryOnJob.objects.count(), OrmQ.objects.count()
    assert jobs == args.products * args.photos, jobs
    # All new work starts through drains: one message for the batch, whatever its size.
    assert enqueued == 1, f"{enqueued} messages: a batch of {jobs} should send one drain"
    # Warm: the confirm step after the preview (digests known).
    warm = []
    for _ in range(args.runs):
        reset(cold=False)
        start = time.perf_counter()
        generate(Product.objects.all())
        warm.append(time.perf_counter() - start)

    # Baseline: the same rows, already built, in one bare bulk_create.
    rows = list(TryOnJob.objects.values())
    baseline = []
    for _ in range(args.runs):
        reset(cold=False)
        objs = [
            TryOnJob(**{k: v for k, v in row.items() if k not in ("id", "batch_id")})
            for row in rows
        ]
        start = time.perf_counter()
        with transaction.atomic():
            TryOnJob.objects.bulk_create(objs)
        baseline.append(time.perf_counter() - start)

    # Queries of the confirm step (digests known) for 1/10 of the products, then all of them.
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))

    def count(n: int) -> tuple[int, int]:
        """(queries, of which job INSERT batches) to generate for the first ``n`` products."""
        reset(cold=False)
        with CaptureQueriesContext(connection) as captured:
            made, _ = generate(Product.objects.filter(pk__in=ids[:n]))
        assert made == n * args.photos, made
        inserts = [
            q for q in captured if q["sql"].startswith('INSERT INTO "django_tryon_tryonjob"')
        ]
        return len(captured), len(inserts)

    small_n, large_n = len(ids) // 10, len(ids)
    (small, small_inserts), (large, large_inserts) = count(small_n), count(large_n)
    others_equal = small - small_inserts == large - large_inserts

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.3f}" for v in values)

    print(f"cold: {runs(timings)} s; warm: {runs(warm)} s; raw bulk_create: {runs(baseline)} s")
    for n, total, inserts in ((small_n, small, small_inserts), (large_n, large, large_inserts)):
        print(f"N={n} products: {total} queries, {inserts} of them job INSERT batches")
    print(
        f"queries besides the INSERT batches: {small - small_inserts} vs {large - large_inserts}"
        f" ({'equal' if others_equal else 'NOT EQUAL'}); totals: {small} vs {large}"
    )

    value, base = statistics.median(timings), statistics.median(baseline)
    note = (
        f"{jobs} jobs from {args.products} products x {args.photos} photos, cold, median of {args.runs}; "
        f"warm {statistics.median(warm):.3f} s; queries N={small_n}: {small} "
        f"({small_inserts} INSERT batches), N={large_n}: {large} ({large_inserts} INSERT batches)"
    )
    report("admin_generate", value, base, "seconds to create and enqueue vs raw bulk_create", note)
    if value > 3.0 or not others_equal:
        sys.exit("target missed: more than 3 s, or queries grow with N")


if __name__ == "__main__":
    main()
