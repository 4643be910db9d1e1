# shop/tryon.py: a size to choose before adding to the cart, with the shop's own form.
from django import forms
from django.urls import reverse

from django_tryon.adapters import CartForm, DefaultProductAdapter


class AddToCartForm(forms.Form):  # the form your product page already uses
    size = forms.ChoiceField(choices=[("s", "S"), ("m", "M"), ("l", "L")])
    quantity = forms.IntegerField(initial=1, widget=forms.HiddenInput)


class ShopAdapter(DefaultProductAdapter):
    def add_to_cart_form(self, product, request=None):
        if not product.in_stock:
            return None  # no button under the result
        return CartForm(
            action=reverse("cart:add", args=[product.pk]),
            form=AddToCartForm(initial={"quantity": 1}),
            label="Add to cart",
        )
