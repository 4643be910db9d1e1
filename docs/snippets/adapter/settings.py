TRYON = {
    # ...your other TRYON settings...
    "PRODUCT_ADAPTER": "shop.tryon.ShopAdapter",
}
