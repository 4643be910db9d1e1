"""{% tryon_widget %} and {% tryon_gallery %}: what they render, and when they render nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import RequestFactory

import django_tryon
from django_tryon.adapters import CartForm, DefaultProductAdapter
from django_tryon.models import Garment, Source, Status, TryOnJob
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db
STATIC = Path(django_tryon.__file__).parent / "static" / "django_tryon"


def render(source: str, with_request: bool = True, **context) -> str:
    if with_request:
        context["request"] = RequestFactory().get("/products/1/")
    return Template("{% load tryon %}" + source).render(Context(context))


def configs(html: str) -> list[dict]:
    return [
        json.loads(m)
        for m in re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', html)
    ]


def test_widget_renders_nothing_without_an_active_garment(product):
    assert render("{% tryon_widget product %}", product=product).strip() == ""
    Garment.objects.create(product=product, category="upper_body", prompt="x", is_active=False)
    assert render("{% tryon_widget product %}", product=product).strip() == ""


def test_widget_renders_nothing_for_unpublished_or_missing_products(product, garment):
    assert render("{% tryon_widget product %}", product=None).strip() == ""
    product.is_published = False
    product.save()
    assert render("{% tryon_widget product %}", product=product).strip() == ""


def test_widget(product, garment):
    html = render("{% tryon_widget product %}", product=product)
    # Without JS the button stays hidden; the dialog is native and labelled.
    assert re.search(r"<button[^>]*data-tryon-open[^>]*hidden", html)
    assert re.search(
        r'<dialog class="tryon-dialog"[^>]*aria-labelledby="tryon-\d+-\w+-title"', html
    )
    assert "Try on Linen shirt" in html
    assert "I agree that my photo is sent to our try-on provider" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'capture="user"' in html and 'role="status"' in html and 'aria-live="polite"' in html
    assert 'role="alert"' in html
    assert "/static/django_tryon/tryon.js" in html and "/static/django_tryon/tryon.css" in html
    (config,) = configs(html)
    assert config["garment"] == garment.pk
    assert config["createUrl"] == "/tryon/jobs/"
    assert config["product"] == f"shop.product:{product.pk}"
    assert config["maxEdge"] == 2048 and config["targetBytes"] <= 1_500_000
    assert config["consentVersion"] == "1"
    assert {"uploading", "queued", "generating", "almost_done", "elapsed"} <= set(config["strings"])
    assert "<textarea" not in html  # prompt mode is off by default


def test_garment_name_is_escaped(product, garment):
    garment.name = '<img src=x onerror="alert(1)">'
    garment.save()
    html = render("{% tryon_widget product %}", product=product)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_consent_text_and_retention_from_settings(product, garment, settings):
    settings.TRYON = {
        **settings.TRYON,
        "CONSENT_TEXT": "Fine by me.",
        "CONSENT_VERSION": "7",
        "SHOPPER_RETENTION_HOURS": 2,
    }
    html = render("{% tryon_widget product %}", product=product)
    assert "Fine by me." in html and "after 2 hours" in html
    assert configs(html)[0]["consentVersion"] == "7"


def test_prompt_mode(product, garment, settings):
    settings.TRYON = {**settings.TRYON, "PROMPT_MODE": True}
    assert "<textarea" in render("{% tryon_widget product %}", product=product)


def test_several_widgets_on_one_page_link_the_assets_once(product, garment):
    from tests.shop.models import Product

    other = Product.objects.create(name="Skirt")
    Garment.objects.create(product=other, name="Skirt", category="lower_body", prompt="a skirt")
    html = render(
        "{% tryon_assets %}{% tryon_widget a %}{% tryon_widget b %}{% tryon_widget a %}",
        a=product,
        b=other,
    )
    assert html.count("tryon.js") == 1 and html.count("tryon.css") == 1
    ids = re.findall(r"data-tryon-widget", html)
    assert len(ids) == 3
    uids = re.findall(r'class="tryon-widget" id="([^"]+)"', html)
    assert len(set(uids)) == 3
    # Without a request (e.g. a cached fragment), still only once per render.
    html = render("{% tryon_widget a %}{% tryon_widget a %}", with_request=False, a=product)
    assert html.count("tryon.js") == 1


def test_widget_queries(product, garment, django_assert_max_num_queries):
    render("{% tryon_widget product %}", product=product)
    with django_assert_max_num_queries(2):
        render("{% tryon_widget product %}", product=product)


def featured(garment, order=0, source=Source.ADMIN) -> TryOnJob:
    job = TryOnJob(
        garment=garment,
        category=garment.category,
        provider="sandbox",
        source=source,
        status=Status.SUCCEEDED,
        is_featured=True,
        featured_order=order,
    )
    job.result.save("r.jpg", ContentFile(make_image((600, 800))), save=False)
    job.save()
    return job


def test_gallery_renders_nothing_without_featured_results(product, garment):
    assert render("{% tryon_gallery product %}", product=product).strip() == ""
    featured(garment, source=Source.SHOPPER)  # a shopper's photo is never public
    assert render("{% tryon_gallery product %}", product=product).strip() == ""


def test_gallery(product, garment, django_assert_max_num_queries):
    second, first = featured(garment, order=2), featured(garment, order=1)
    with django_assert_max_num_queries(2):
        html = render("{% tryon_gallery product %}", product=product)
    tokens = re.findall(r'src="/tryon/gallery/([\w-]+)/640\.jpg"', html)
    assert tokens == [first.token, second.token]
    assert html.count('loading="lazy"') == 2
    assert f"/tryon/gallery/{first.token}/320.jpg 320w" in html
    assert 'sizes="' in html
    assert 'alt="Linen shirt worn by one of our models"' in html
    assert "Seen on our models" in html


def test_gallery_limit_and_unpublished(product, garment):
    for i in range(4):
        featured(garment, order=i)
    html = render("{% tryon_gallery product 3 %}", product=product)
    assert html.count("<img") == 3
    product.is_published = False
    product.save()
    assert render("{% tryon_gallery product %}", product=product).strip() == ""


def test_widget_assets_fit_the_budget():
    size = sum((STATIC / name).stat().st_size for name in ("tryon.js", "tryon.css"))
    print(f"widget JS + CSS: {size} bytes ({size / 1024:.1f} KB)")
    assert size <= 40 * 1024


def test_script_defines_one_global_and_no_language():
    source = (STATIC / "tryon.js").read_text()
    assert source.count("window.DjangoTryOn =") == 1
    assert re.findall(r"window\.(\w+)\s*=", source) == ["DjangoTryOn"]
    assert "Try it on" not in source and "Uploading" not in source
    assert "http://" not in source and "https://" not in source  # no CDN, nothing remote


def test_widget_offers_the_shops_add_to_cart_form_under_the_result(product, garment, settings):
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "/cart/add/{pk}/", "FIELDS": {"quantity": "1"}},
    }
    html = render("{% tryon_widget product %}", product=product)
    result = html[html.index('data-step="result"') : html.index('data-step="deleted"')]
    form = re.search(
        r'<form class="tryon-cart" method="post" action="([^"]+)" data-tryon-cart>(.*?)</form>',
        result,
        re.S,
    )
    assert form is not None and form.group(1) == f"/cart/add/{product.pk}/"
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<input type="hidden" name="quantity" value="1">' in form.group(2)
    assert re.search(
        r'<button type="submit" class="tryon-button tryon-primary">Add to bag</button>',
        form.group(2),
    )
    # Adding to the bag is the result's main action; the download steps back.
    assert re.search(r'class="tryon-button" data-tryon-download', result)


def test_widget_without_an_add_to_cart_form(product, garment):
    html = render("{% tryon_widget product %}", product=product)
    assert "data-tryon-cart" not in html
    assert re.search(r'class="tryon-button tryon-primary" data-tryon-download', html)


def test_an_adapter_can_render_a_form_of_the_shops_with_ids_of_its_own(product, garment, settings):
    settings.TRYON = {
        **settings.TRYON,
        "PRODUCT_ADAPTER": "tests.templatetags.test_tryon.SizeAdapter",
    }
    html = render("{% tryon_widget product %}", product=product)
    start = html.index('<form class="tryon-cart"')
    form = html[start : html.index("</form>", start)]
    assert f'action="/cart/{product.pk}/"' in form
    assert re.search(r'<label for="tryon-\d+-\w+-cart-size">Size:</label>', form)
    assert re.search(r'<select name="size" id="tryon-\d+-\w+-cart-size">', form)
    assert f'<input type="hidden" name="product" value="{product.pk}"' in form
    assert ">Buy now</button>" in form


class SizeForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput)
    size = forms.ChoiceField(choices=[("s", "S"), ("m", "M")])


class SizeAdapter(DefaultProductAdapter):
    def add_to_cart_form(self, product, request=None):
        form = SizeForm(initial={"product": product.pk})
        return CartForm(action=f"/cart/{product.pk}/", form=form, label="Buy now")
