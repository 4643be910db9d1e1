# settings.py: the result offers your shop's own "Add to bag" form.
TRYON = {
    # ...
    "ADD_TO_CART": {
        "URL": "cart:add",  # your view's URL name, reversed with the product's pk
        "FIELDS": {"quantity": "1"},  # hidden fields it expects; "{pk}" is the product's pk
    },
}
