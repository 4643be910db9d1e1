"""django-oscar integration: add ``django_tryon.contrib.oscar`` to ``INSTALLED_APPS``, after
Oscar's apps, and that is all.

- ``adapter``: Oscar's product adapter (``is_public``, variants, titles, product images,
  product classes to garment categories), used unless ``TRYON["PRODUCT_ADAPTER"]`` is set.
- ``apps``: a dashboard app under Oscar's dashboard permissions and navigation; on
  ``ready()`` it puts the widget and gallery on Oscar's product page, a "Try-on" section
  on the dashboard's product edit page and "Generate try-ons" in its product list.
- ``views``: the dashboard pages, thin, over ``django_tryon.services``.
"""
