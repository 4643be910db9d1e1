"""What the shopper browser tests share: the shop's product page, photos, and page probes.

Imported by the ``test_shopper_*`` modules (fixtures included by name). The product page
is the example shop's (``example_project/catalog``) with ``{% tryon_widget %}`` and
``{% tryon_gallery %}`` on it, served from ``shop.urls``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from django_tryon.models import Garment, TryOnJob
from tests.availability import ON_CI
from tests.cluster import wait_until
from tests.fixtures import make_image

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
METRICS = "shopper-metrics.json"

# Records the widget's events, dataLayer pushes and when each status text first showed.
PROBE = """
window.dataLayer = [];
window.__tryon = {events: [], texts: {}, submitAt: null};
for (const name of ["open", "submit", "success", "error", "download", "delete"]) {
  document.addEventListener("tryon:" + name, (e) => window.__tryon.events.push([name, e.detail]));
}
document.addEventListener("submit", () => { window.__tryon.submitAt = performance.now(); }, true);
new MutationObserver(() => {
  const el = document.querySelector("[data-tryon-status]");
  const text = el && el.textContent;
  if (text && !(text in window.__tryon.texts)) window.__tryon.texts[text] = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def garment_picture() -> bytes:
    """A striped tee, drawn."""
    image = Image.new("RGB", (600, 600), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [
            (150, 80),
            (450, 80),
            (560, 200),
            (480, 260),
            (450, 220),
            (450, 560),
            (150, 560),
            (150, 220),
            (120, 260),
            (40, 200),
        ],
        fill=(240, 240, 235),
    )
    for y in range(100, 560, 36):
        draw.rectangle((150, y, 450, y + 14), fill=(30, 45, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_product(
    name: str = "Breton Stripe Tee",
    slug: str = "breton-stripe-tee",
    *,
    description: str = "",
    garment: bool = True,
) -> Any:
    from catalog.models import Product

    product = Product.objects.create(
        name=name,
        slug=slug,
        price=Decimal("29.00"),
        description="The sailor classic: navy stripes on an off-white jersey.",
    )
    if garment:
        item = Garment(product=product, name=name, category="upper_body", description=description)
        item.image.save("tee.png", ContentFile(garment_picture()), save=False)
        item.save()
    return product


def open_shop(site: Any, settings: Any) -> SimpleNamespace:
    """The live shop (``site``) serving the example catalog, with one product to try on.

    Each test module wraps this in a ``shop`` fixture of its own.
    """
    settings.ROOT_URLCONF = "shop.urls"
    product = make_product()
    return SimpleNamespace(
        url=site.url,
        site=site,
        product=product,
        product_url=f"{site.url}/products/{product.slug}/",
    )


def person_photo(path: Path, size: tuple[int, int] = (900, 1200)) -> Path:
    path.write_bytes(make_image(size))
    return path


def twelve_megapixel_photo(path: Path) -> Path:
    """A 4000×3000 phone photo lying on its side (EXIF orientation 6) with GPS in its EXIF.

    Sensor-like noise over a real portrait keeps it as heavy as a phone's JPEG (several MB).
    """
    import numpy as np

    try:
        from skimage import data

        portrait = Image.fromarray(data.astronaut())
    except ImportError:  # scikit-image is a dev extra; any person-like picture will do
        portrait = Image.open(io.BytesIO(make_image((512, 512))))
    # Stored as the sensor saw it: landscape, the person rotated; the camera says "rotate 90° CW".
    picture = portrait.resize((3000, 4000), Image.Resampling.BICUBIC).rotate(90, expand=True)
    noise = np.random.default_rng(7).normal(0, 9, (3000, 4000, 3))
    pixels = np.clip(np.asarray(picture, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    picture = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° CW to view
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x8825] = gps
    picture.save(path, "JPEG", quality=92, exif=exif)
    return path


@contextmanager
def received_uploads() -> Iterator[list[bytes]]:
    """The photo bytes of every upload the server accepts meanwhile, as the browser sent them."""
    from django_tryon import signals

    received: list[bytes] = []

    def receiver(sender: Any, job: Any, request: Any, **kwargs: Any) -> None:
        upload = request.FILES["photo"]
        upload.seek(0)
        received.append(upload.read())

    signals.shopper_job_requested.connect(receiver, weak=False)
    try:
        yield received
    finally:
        signals.shopper_job_requested.disconnect(receiver)


def open_widget(page: Any) -> None:
    page.get_by_role("button", name="Try it on").click()
    page.wait_for_selector("[data-tryon-dialog][open]")
    page.wait_for_timeout(250)  # the opening animation


def choose(page: Any, path: Path, nth: int = 0) -> None:
    page.locator("[data-tryon-file]").nth(nth).set_input_files(str(path))


def wait_for_step(page: Any, step: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"[data-step='{step}']:not([hidden])", timeout=timeout)


def events(page: Any) -> list[str]:
    return [name for name, _ in page.evaluate("window.__tryon.events")]


def job_of(token: str) -> TryOnJob:
    return TryOnJob.objects.get(token=token)


def latest_token() -> str:
    return TryOnJob.objects.latest("created_at").token


def wait_for_status(token: str, status: str, timeout: float = 20) -> bool:
    return wait_until(lambda: TryOnJob.objects.filter(token=token, status=status).exists(), timeout)


def axe_audit(page: Any, within: str | None = None) -> dict[str, Any]:
    """axe-core on the page as it is now (or on the part ``within`` selects): every
    violation, and how many rules passed."""
    if not AXE.exists():
        message = "node_modules/axe-core is missing: run `npm ci` at the repository root"
        if ON_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (within) => {
            const r = await axe.run(within || document, {resultTypes: ["violations", "passes"]});
            return {
                version: axe.version,
                passes: r.passes.length,
                violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)})),
            };
        }""",
        within,
    )


def serious(audit: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in audit["violations"] if v["impact"] in ("serious", "critical")]


def record_metric(artifacts: Path, **values: Any) -> None:
    """Keep measured figures in tests/artifacts/shopper-metrics.json (and print them)."""
    path = artifacts / METRICS
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    for key, value in values.items():
        print(f"METRIC {key}={value}")


def storage_path_gone(name: str) -> bool:
    from django_tryon.storage import private_storage

    return not private_storage().exists(name)
