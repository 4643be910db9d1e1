# Development only: the alias talks to `tryon_emulator fashn` on this machine.
TRYON["PROVIDERS"]["fashn"].update(
    BASE_URL="http://127.0.0.1:8703",
    API_KEY="fa-test-key",  # the key the emulator accepts
    ALLOW_PRIVATE_URLS=True,  # results come from 127.0.0.1
    WEBHOOK_URL="",  # the emulator can't reach shop.example
)
