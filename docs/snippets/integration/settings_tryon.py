TRYON = {
    # The offline sandbox: no key, no network, labelled previews after ~3 s.
    # Real providers (Magic Hour, Change Clothes AI) are one more alias each.
    "DEFAULT_PROVIDER": "sandbox",
    # Where photos and results are kept: an alias of STORAGES (below).
    "STORAGE": "tryon",
}
