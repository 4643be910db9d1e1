"""``manage.py seed_demo``: the demo catalogue, model photos and admin user, and a made-up
month of shoppers for the conversion report (labelled as demo data there; ``--no-history``
leaves it out).

Idempotent: products are keyed by slug, garments by product and name, model photos by name,
so running it again creates nothing new (and never redraws an existing picture).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog.demo_history import seed_history
from catalog.demo_images import (
    FigureStyle,
    GarmentStyle,
    astronaut_image,
    picture,
    pictures,
)
from catalog.models import Product
from django_tryon.models import Category, Garment, ModelPhoto

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"  # demo only; printed so the merchant can log in
# make_password(ADMIN_PASSWORD), computed once: hashing it takes PBKDF2's million rounds,
# seconds of a first start. The password is published anyway (see above).
ADMIN_PASSWORD_HASH = (
    "pbkdf2_sha256$1000000$djangotryondemo$sau1EQuhOM0NYEewov1zbzzQ9fAqppt/bg/DA5OJTHo="
)


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    price: str
    category: str
    style: GarmentStyle
    description: str
    garment_description: str
    published: bool = True


# Off-white, not white: the sandbox cuts near-white (the flat lay background) away.
NAVY, WHITE = (32, 48, 96), (232, 228, 216)
PRODUCTS = [
    DemoProduct(
        "oxford-shirt",
        "Classic Oxford Shirt",
        "59.00",
        Category.UPPER_BODY,
        GarmentStyle("shirt", (160, 192, 228), "pinstripes", WHITE),
        "A crisp button-down in soft Oxford cotton with fine stripes.",
        "light blue striped button-down shirt",
    ),
    DemoProduct(
        "cotton-tee",
        "Everyday Cotton T-Shirt",
        "19.00",
        Category.UPPER_BODY,
        GarmentStyle("tshirt", (232, 112, 92)),
        "Heavyweight organic cotton, relaxed fit, in coral.",
        "coral crew-neck t-shirt",
    ),
    DemoProduct(
        "breton-tee",
        "Breton Stripe Tee",
        "29.00",
        Category.UPPER_BODY,
        GarmentStyle("tshirt", WHITE, "stripes", NAVY),
        "The sailor classic: navy stripes on an off-white jersey.",
        "white t-shirt with navy horizontal stripes",
    ),
    DemoProduct(
        "field-jacket",
        "Field Jacket",
        "129.00",
        Category.UPPER_BODY,
        GarmentStyle("jacket", (112, 122, 72)),
        "Waxed cotton with four pockets and horn buttons.",
        "olive green field jacket",
    ),
    DemoProduct(
        "check-overshirt",
        "Checked Overshirt",
        "69.00",
        Category.UPPER_BODY,
        GarmentStyle("shirt", (178, 40, 44), "check", (30, 24, 28)),
        "Brushed flannel in buffalo check, warm enough to wear as a jacket.",
        "red and black buffalo check flannel shirt",
    ),
    DemoProduct(
        "slim-chinos",
        "Slim Chinos",
        "69.00",
        Category.LOWER_BODY,
        GarmentStyle("trousers", (204, 180, 136)),
        "Stretch cotton twill, slim through the leg.",
        "sand-coloured slim chino trousers",
    ),
    DemoProduct(
        "indigo-jeans",
        "Indigo Jeans",
        "89.00",
        Category.LOWER_BODY,
        GarmentStyle("trousers", (48, 68, 118)),
        "Rinsed selvedge denim, straight fit.",
        "dark indigo straight jeans",
    ),
    DemoProduct(
        "pleated-skirt",
        "Pleated Midi Skirt",
        "55.00",
        Category.LOWER_BODY,
        GarmentStyle("skirt", (218, 166, 52)),
        "Fluid pleats that move as you walk.",
        "mustard yellow pleated midi skirt",
    ),
    DemoProduct(
        "dot-dress",
        "Polka Dot Summer Dress",
        "79.00",
        Category.FULL_BODY,
        GarmentStyle("dress", NAVY, "dots", WHITE),
        "Light viscose with a flared skirt and thin straps.",
        "navy sleeveless summer dress with white polka dots",
    ),
    DemoProduct(
        "wrap-dress",
        "Emerald Wrap Dress",
        "95.00",
        Category.FULL_BODY,
        GarmentStyle("dress", (26, 128, 92)),
        "Satin-finish wrap dress for evenings out.",
        "emerald green satin dress",
    ),
    DemoProduct(
        "linen-jumpsuit",
        "Linen Jumpsuit",
        "99.00",
        Category.FULL_BODY,
        GarmentStyle("jumpsuit", (190, 96, 66)),
        "Washed linen, belted waist, wide legs.",
        "terracotta linen jumpsuit with belt",
    ),
    DemoProduct(
        "winter-parka",
        "Winter Parka (coming soon)",
        "189.00",
        Category.UPPER_BODY,
        GarmentStyle("jacket", (60, 64, 72)),
        "Not on sale yet: unpublished, visible only in the admin.",
        "charcoal parka",
        published=False,
    ),
]

ALL = ",".join(Category.values)
FIGURES = [
    (
        "Amara",
        ALL,
        FigureStyle((92, 60, 42), (24, 18, 16), "curly", "relaxed", backdrop=(226, 230, 236)),
    ),
    ("Kenji", ALL, FigureStyle((232, 196, 160), (30, 26, 24), "short", "hips")),
    (
        "Lucía",
        ALL,
        FigureStyle((190, 136, 96), (70, 40, 24), "bun", "wave", backdrop=(236, 226, 220)),
    ),
    (
        "Sam",
        ALL,
        FigureStyle((244, 214, 192), (176, 120, 60), "long", "relaxed", backdrop=(224, 232, 224)),
    ),
]
ASTRONAUT = "Astronaut (NASA portrait)"


class Command(BaseCommand):
    help = "Create the demo catalogue, garments, model photos and an admin user (idempotent)."
    drawn: dict[object, bytes] = {}  # replaced per run by handle()

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-admin", action="store_true", help="Don't create the admin user.")
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="Apply the migrations first (make demo: one Django start instead of two).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Don't seed the conversion report's made-up month of shoppers.",
        )

    def handle(
        self,
        *args: Any,
        no_admin: bool = False,
        migrate: bool = False,
        no_history: bool = False,
        **options: Any,
    ) -> None:
        if migrate:
            call_command("migrate", interactive=False, verbosity=options.get("verbosity", 1))
        # Drawn before the transaction, side by side: what is missing, never what exists.
        self.drawn = pictures(self.missing_styles())
        with transaction.atomic():
            created = self.seed_products() + self.seed_model_photos()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {created} new objects; {Product.objects.count()} products, "
                f"{Garment.objects.count()} garments, {ModelPhoto.objects.count()} model photos."
            )
        )
        if not no_history:
            shoppers = seed_history()
            if shoppers:
                self.stdout.write(
                    f"Demo conversion history: {shoppers} made-up shoppers over 30 days "
                    "(the conversion report labels them as demo data)."
                )
        if not no_admin:
            self.ensure_admin()

    def missing_styles(self) -> list[GarmentStyle | FigureStyle]:
        products = {p.slug: p for p in Product.objects.filter(slug__in=[s.slug for s in PRODUCTS])}
        missing: list[GarmentStyle | FigureStyle] = []
        for spec in PRODUCTS:
            product = products.get(spec.slug)
            if (
                product is None
                or not product.image
                or not Garment.objects.for_product(product).filter(name=spec.name).exists()
            ):
                missing.append(spec.style)
        photos = set(ModelPhoto.objects.values_list("name", flat=True))
        missing += [style for name, _, style in FIGURES if name not in photos]
        return missing

    def picture(self, style: GarmentStyle | FigureStyle) -> bytes:
        return self.drawn[style] if style in self.drawn else picture(style)

    def seed_products(self) -> int:
        created = 0
        for spec in PRODUCTS:
            product, new = Product.objects.get_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "price": Decimal(spec.price),
                    "description": spec.description,
                    "is_published": spec.published,
                },
            )
            created += new
            picture: bytes | None = None
            if not product.image:
                picture = self.picture(spec.style)
                product.image.save(f"{spec.slug}.png", ContentFile(picture))
            if not Garment.objects.for_product(product).filter(name=spec.name).exists():
                garment = Garment(
                    product=product,
                    name=spec.name,
                    category=spec.category,
                    description=spec.garment_description,
                )
                garment.image.save(
                    "garment.png", ContentFile(picture or self.picture(spec.style)), save=False
                )
                garment.save()
                created += 1
        return created

    def seed_model_photos(self) -> int:
        created = 0
        photos: list[tuple[str, str, Any]] = [(name, cats, style) for name, cats, style in FIGURES]
        if astronaut_image() is not None:
            # A real half-body photo: only tops can be tried on it.
            photos.insert(0, (ASTRONAUT, Category.UPPER_BODY.value, None))
        else:
            self.stdout.write("scikit-image is not installed: skipping the astronaut photo.")
        for name, categories, style in photos:
            if ModelPhoto.objects.filter(name=name).exists():
                continue
            content = astronaut_image() if style is None else self.picture(style)
            photo = ModelPhoto(name=name, categories=categories)
            photo.image.save("model.jpg", ContentFile(content or b""), save=False)
            photo.save()
            created += 1
        return created

    def ensure_admin(self) -> None:
        User = get_user_model()
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            user = User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", None)
            try:
                identify_hasher(ADMIN_PASSWORD_HASH)  # PBKDF2 is among PASSWORD_HASHERS
                user.password = ADMIN_PASSWORD_HASH
            except ValueError:
                user.set_password(ADMIN_PASSWORD)
            user.save(update_fields=["password"])
            self.stdout.write(f"Created the admin user {ADMIN_USERNAME!r}.")
        self.stdout.write(f"Admin login: username {ADMIN_USERNAME!r}, password {ADMIN_PASSWORD!r}")
