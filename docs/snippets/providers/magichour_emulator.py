# Development only: the alias talks to `tryon_emulator magichour` on this machine.
TRYON["PROVIDERS"]["magichour"].update(
    BASE_URL="http://127.0.0.1:8701",
    API_KEY="mh-test-key",  # the key the emulator accepts
    ALLOW_PRIVATE_URLS=True,  # results come from 127.0.0.1
)
