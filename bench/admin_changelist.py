"""The try-on job changelist with 10,000 jobs renders in at most 10 queries.

10,000 jobs of 200 products (each with a garment) on 5 model photos, in every status, some
featured, some from shoppers, as the admin's superuser sees them: thumbnails, badges,
products through the generic relation, filters. Value: the queries of that render;
baseline: the queries of the same page with no job at all. The render time is printed too.

    .venv/bin/python bench/admin_changelist.py [--jobs 10000]
"""

import argparse
import sys
import time

from common import report, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=200)
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from django_tryon.models import Garment, ModelPhoto, Source, Status, TryOnJob
    from tests.shop.models import Product

    User.objects.create_superuser("bench", password="bench")
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    url = "/admin/django_tryon/tryonjob/"

    def render() -> tuple[int, float]:
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        return len(captured), elapsed

    render()  # warm-up: templates, content types
    empty_queries, empty_time = render()

    # Names only: the rows exist in the database, the files needn't for a changelist.
    photos = ModelPhoto.objects.bulk_create(
        ModelPhoto(
            name=f"Model {i}",
            image=f"tryon/models/m{i}.jpg",
            image_width=600,
            image_height=800,
            image_digest="x",
        )
        for i in range(5)
    )
    products = Product.objects.bulk_create(
        Product(name=f"Product {i}") for i in range(args.products)
    )
    garments = Garment.objects.bulk_create(
        Garment(
            product=p,
            name=f"Garment {p.name}",
            category="upper_body",
            image=f"tryon/garments/g{p.pk}.jpg",
            image_width=400,
            image_height=400,
            image_digest="x",
        )
        for p in products
    )
    statuses = [Status.SUCCEEDED] * 6 + [
        Status.FAILED,
        Status.CANCELED,
        Status.RUNNING,
        Status.PENDING,
    ]
    now = timezone.now()
    TryOnJob.objects.bulk_create(
        (
            TryOnJob(
                garment=garments[i % len(garments)],
                model_photo=None if i % 17 == 0 else photos[i % len(photos)],
                person_image=f"tryon/people/p{i}.jpg" if i % 17 == 0 else "",
                source=Source.SHOPPER if i % 17 == 0 else Source.ADMIN,
                category="upper_body",
                provider="sandbox",
                status=statuses[i % len(statuses)],
                result=f"tryon/results/r{i}.jpg"
                if statuses[i % len(statuses)] == Status.SUCCEEDED
                else "",
                is_featured=i % 50 == 0,
                credits_charged=1,
                created_at=now - timezone.timedelta(minutes=i),
                fingerprint=f"{i:064x}",
            )
            for i in range(args.jobs)
        ),
        batch_size=500,
    )
    assert TryOnJob.objects.count() == args.jobs

    render()
    full_queries, full_time = render()
    with CaptureQueriesContext(connection) as captured:
        assert (
            client.get(f"{url}?status__exact=succeeded&provider=sandbox&q=Garment").status_code
            == 200
        )
    filtered_queries = len(captured)
    print(f"empty changelist: {empty_queries} queries, {empty_time * 1000:.0f} ms")
    print(f"{args.jobs} jobs: {full_queries} queries, {full_time * 1000:.0f} ms")
    print(f"{args.jobs} jobs, filtered and searched: {filtered_queries} queries")

    note = (
        f"{args.jobs} jobs of {args.products} products, page of 50; render {full_time * 1000:.0f} ms "
        f"(empty {empty_time * 1000:.0f} ms); filtered+searched: {filtered_queries} queries"
    )
    report("admin_changelist", full_queries, empty_queries, "queries, 10,000 rows vs none", note)
    if full_queries > 10 or filtered_queries > 10:
        sys.exit("target missed: more than 10 queries")


if __name__ == "__main__":
    main()
