# Development only: the alias talks to `tryon_emulator changeclothes` on this machine.
TRYON["PROVIDERS"]["changeclothes"].update(
    BASE_URL="http://127.0.0.1:8702",
    API_KEY="cc-test-key",  # the key the emulator accepts
    ALLOW_PRIVATE_URLS=True,  # results come from 127.0.0.1
)
