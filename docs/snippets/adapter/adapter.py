# shop/tryon.py: what django-tryon needs to know about this shop's products.
from django.apps import apps
from django.urls import reverse

from django_tryon.adapters import DefaultProductAdapter, ProductImage


class ShopAdapter(DefaultProductAdapter):
    # The garment category each department implies (preselected for new garments).
    CATEGORIES = {"tops": "upper_body", "trousers": "lower_body", "dresses": "full_body"}

    def is_available(self, product, request=None):
        # Only live products; members-only ones for signed-in shoppers. A variant is
        # available only when its parent is too.
        if product.status != "live":
            return False
        if product.members_only and (request is None or not request.user.is_authenticated):
            return False
        parent = self.parent(product)
        return parent is None or self.is_available(parent, request)

    def name(self, product):
        return product.title

    def url(self, product):
        return reverse("product", kwargs={"slug": product.slug})

    def images(self, product):
        # The shop's own product photos, offered when a merchant adds a garment.
        return [
            ProductImage(key=str(photo.pk), name=photo.file.name, url=photo.file.url)
            for photo in product.photos.all()
        ]

    def parent(self, product):
        return product.parent  # None for a product that isn't a variant

    def category(self, product):
        return self.CATEGORIES.get(product.department)

    def product_models(self):
        # Deleting one of these deletes its garments, their files and their try-ons.
        return [apps.get_model("shop", "Product")]
