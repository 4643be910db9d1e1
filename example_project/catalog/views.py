from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Product


def product_list(request: HttpRequest) -> HttpResponse:
    products = Product.objects.published()
    return render(request, "catalog/product_list.html", {"products": products})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.published(), slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})
