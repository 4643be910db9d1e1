"""The shopper widget page: its snippets run, its tables match the script and the server."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.urls import include, path

from django_tryon.models import Garment
from django_tryon.testing.queue import drive_pipeline
from tests.docs.support import DOCS, ROOT, person_photo, read_snippet

STATIC = ROOT / "django_tryon" / "static" / "django_tryon"
PAGE = DOCS / "widget.md"


def section(heading: str) -> str:
    text = PAGE.read_text()
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def test_theme_properties_are_the_ones_the_stylesheet_reads():
    used = set(re.findall(r"(--tryon-[a-z-]+)\s*:", read_snippet("widget/theme.css")))
    read = set(re.findall(r"var\((--tryon-[a-z-]+)", (STATIC / "tryon.css").read_text()))
    assert used == read, f"not in tryon.css: {used - read}; not in the theme: {read - used}"


def test_analytics_events_are_the_ones_the_script_emits():
    script = (STATIC / "tryon.js").read_text()
    emitted = {f"tryon:{name}" for name in re.findall(r'emit\("(\w+)"', script)}
    listened = set(re.findall(r'"(tryon:\w+)"', read_snippet("widget/analytics.js")))
    documented = set(re.findall(r"^\| `(tryon:\w+)`", section("## Analytics"), re.M))
    assert listened == emitted
    assert documented == emitted


def test_documented_template_hooks_are_the_ones_the_script_uses():
    script = (STATIC / "tryon.js").read_text()
    used = set(re.findall(r"data-tryon-[a-z-]+", script))
    used |= {f"data-tryon-{name}" for name in re.findall(r'(?:el|message)\("([a-z-]+)"', script)}
    used.add("data-step")
    documented = set(
        re.findall(r"`(data-(?:tryon-[a-z-]+|step))`", section("## Overriding the templates"))
    )
    assert documented == used, f"undocumented: {used - documented}; gone: {documented - used}"
    templates = ROOT / "django_tryon/templates/django_tryon"
    template = "".join(
        (templates / name).read_text() for name in ("widget.html", "includes/cart_form.html")
    )
    assert all(hook in template for hook in used)


def test_documented_refusal_codes_exist_in_the_code():
    codes = set(
        re.findall(r"`([a-z_]+)`", section("## The JSON API").split("Codes of refusals")[1])
    )
    source = "\n".join(p.read_text() for p in (ROOT / "django_tryon").rglob("*.py"))
    missing = sorted(code for code in codes if f'"{code}"' not in source)
    assert not missing, f"codes on the page that the code never uses: {missing}"


def render_widget(product):
    request = RequestFactory().get("/")
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    template = Template("{% load tryon %}{% tryon_widget product %}")
    return template.render(Context({"product": product, "request": request}))


def test_shopper_settings_show_in_the_widget(product, garment):
    namespace: dict = {}
    exec(read_snippet("widget/shopper_settings.py"), namespace)
    tryon = {
        **namespace["TRYON"],
        "PROVIDERS": {"sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider"}},
    }
    from django_tryon.checks import check_settings

    with override_settings(TRYON=tryon):
        assert not [p for p in check_settings() if p.id != "tryon.E007"]
        html = render_widget(product)
    assert "deleted within 6 hours" in html
    assert "after 6 hours" in html
    assert "data-tryon-prompt" in html
    assert '"consentVersion": "2026-11"' in html


def test_add_to_cart_knows_whether_the_shopper_tried_the_product_on(db):
    from catalog.models import Product

    from tests.api.conftest import Shopper

    product = Product.objects.create(name="Oxford", slug="oxford", price="59.00")
    garment = Garment(product=product, name="Oxford", category="upper_body")
    garment.image.save("g.png", ContentFile(person_photo((400, 400))))

    namespace: dict = {}
    exec(read_snippet("widget/add_to_cart.py"), namespace)
    add_to_cart = namespace["add_to_cart"]

    shopper = Shopper()
    shopper.get("/admin/login/")  # any page: the session starts with the first try-on
    created = shopper.upload(garment, person_photo())
    assert created.status_code == 201, created.content
    assert drive_pipeline() == 0

    request = RequestFactory().post(f"/cart/add/{product.pk}/")
    request.session = shopper.session
    response = add_to_cart(request, product.pk)
    assert response.status_code == 302
    assert request.session["cart"] == [{"product": product.pk, "after_tryon": True}]

    stranger = RequestFactory().post(f"/cart/add/{product.pk}/")
    from django.contrib.sessions.backends.db import SessionStore

    stranger.session = SessionStore()
    add_to_cart(stranger, product.pk)
    assert stranger.session["cart"] == [{"product": product.pk, "after_tryon": False}]


def test_add_to_cart_settings_put_the_shops_form_under_the_result(product, garment, settings):
    namespace: dict = {}
    exec(read_snippet("widget/add_to_cart_settings.py"), namespace)
    from django_tryon.checks import check_add_to_cart

    settings.ROOT_URLCONF = __name__
    settings.TRYON = {**settings.TRYON, **namespace["TRYON"]}
    assert check_add_to_cart() == []
    html = render_widget(product)
    assert f'action="/cart/add/{product.pk}/" data-tryon-cart' in html
    assert '<input type="hidden" name="quantity" value="1">' in html


def test_an_adapter_offers_a_form_with_a_choice(product, garment, settings):
    namespace: dict = {}
    exec(read_snippet("widget/cart_adapter.py"), namespace)
    settings.ROOT_URLCONF = __name__
    adapter = namespace["ShopAdapter"]()
    product.in_stock = True
    cart = adapter.add_to_cart_form(product)
    assert cart.action == f"/cart/add/{product.pk}/" and cart.label == "Add to cart"
    assert list(cart.form.fields) == ["size", "quantity"]
    product.in_stock = False
    assert adapter.add_to_cart_form(product) is None


def test_own_cart_listener_handles_the_documented_event():
    # tests/e2e/test_shopper_cart.py runs it in Chromium on the example shop.
    script = read_snippet("widget/own_cart.js")
    assert '"tryon:add_to_cart"' in script and "preventDefault()" in script
    assert "event.detail.form" in script  # the form submitted: this product's or a look's
    assert "form: e.target" in (STATIC / "tryon.js").read_text()
    assert "cancelable: true" in (STATIC / "tryon.js").read_text()


def _cart_add(request, pk):
    return HttpResponse()


# The URLconf of the add-to-cart snippets: the shop's cart:add, and the app's URLs.
urlpatterns = [
    path("tryon/", include("django_tryon.urls")),
    path("cart/", include(([path("add/<int:pk>/", _cart_add, name="add")], "cart"))),
]
