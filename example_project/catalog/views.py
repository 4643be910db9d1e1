from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .bag import Bag, total
from .checkout import EmptyBag, place_order
from .forms import CheckoutForm, QuantityForm
from .models import Order, Product


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


@require_POST
def bag_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The product page's "Add to bag", and the try-on result's (TRYON["ADD_TO_CART"])."""
    product = get_object_or_404(Product.objects.published(), pk=pk)
    form = QuantityForm(request.POST)
    quantity = form.cleaned_data["quantity"] if form.is_valid() else 0
    if quantity < 1:
        messages.error(request, "Please choose a quantity from 1 to 10.")
        return redirect(product)
    Bag(request.session).add(product, quantity)
    messages.success(request, f"{product.name} is in your bag.")
    return redirect("catalog:bag")


@require_POST
def bag_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A new quantity for a line of the bag; 0 (or "Remove") takes it out."""
    product = get_object_or_404(Product, pk=pk)
    form = QuantityForm(request.POST)
    quantity = 0 if "remove" in request.POST else None
    if quantity is None:
        if not form.is_valid():
            messages.error(request, "Please choose a quantity from 0 to 10.")
            return redirect("catalog:bag")
        quantity = form.cleaned_data["quantity"]
    Bag(request.session).set(product, quantity)
    if quantity == 0:
        messages.success(request, f"{product.name} was removed from your bag.")
    return redirect("catalog:bag")


def bag_detail(request: HttpRequest) -> HttpResponse:
    lines = Bag(request.session).lines()
    return render(request, "catalog/bag.html", {"lines": lines, "total": total(lines)})


def checkout(request: HttpRequest) -> HttpResponse:
    """One page: name and email, then the order (no payment in this demo shop)."""
    lines = Bag(request.session).lines()
    if not lines:
        return redirect("catalog:bag")
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = place_order(request, **form.cleaned_data)
        except EmptyBag:
            return redirect("catalog:bag")
        return redirect("catalog:order_done", number=order.number)
    context = {"form": form, "lines": lines, "total": total(lines)}
    return render(request, "catalog/checkout.html", context)


def order_done(request: HttpRequest, number: str) -> HttpResponse:
    """The thank-you page, for the session that placed the order only."""
    if number not in request.session.get("orders", []):
        raise Http404
    order = get_object_or_404(Order.objects.prefetch_related("lines"), number=number)
    return render(request, "catalog/order_done.html", {"order": order})
