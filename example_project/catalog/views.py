from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Product


def product_list(request: HttpRequest) -> HttpResponse:
    products = Product.objects.published()
    return render(request, "catalog/product_list.html", {"products": products})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.published(), slug=slug)
    # "Complete the look" offers the shop's other products (those with a garment of another
    # category than this one's are shown).
    outfit_with = Product.objects.published().exclude(pk=product.pk)[:12]
    return render(
        request, "catalog/product_detail.html", {"product": product, "outfit_with": outfit_with}
    )
