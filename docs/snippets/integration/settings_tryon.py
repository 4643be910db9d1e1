TRYON = {
    # The offline sandbox: no key, no network, labelled previews after ~3 s.
    # Real providers (Magic Hour, Change Clothes AI) are one more alias each.
    "DEFAULT_PROVIDER": "sandbox",
    # Where files go: aliases of STORAGES (below). Garment images and model photos may be
    # public; shoppers' photos and results must not be (checked by manage.py check).
    "STORAGE": "default",
    "PRIVATE_STORAGE": "tryon_private",
}
