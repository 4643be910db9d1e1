Q_CLUSTER = {
    "name": "shop",
    "orm": "default",  # the database is the broker (Redis: see Operations)
    "workers": 2,  # waiting on a provider holds no worker: a few are plenty
    "timeout": 240,  # longer than the slowest provider call + 30 s (check tryon.E007)
    "retry": 300,  # longer than timeout (check tryon.E006)
    "catch_up": False,
}
