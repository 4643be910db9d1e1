from django.shortcuts import get_object_or_404, redirect

from django_tryon.services import session_jobs

from catalog.models import Product  # your product model


def add_to_cart(request, pk):
    product = get_object_or_404(Product, pk=pk)
    # Did this shopper see themselves wearing it before buying? One query.
    tried_on = session_jobs(request, product).filter(status="succeeded").exists()
    cart = request.session.setdefault("cart", [])
    cart.append({"product": product.pk, "after_tryon": tried_on})
    request.session.modified = True
    return redirect("/cart/")
