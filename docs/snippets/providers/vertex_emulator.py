# Development only: the alias talks to `tryon_emulator vertex` on this machine.
TRYON["PROVIDERS"]["vertex"].update(
    BASE_URL="http://127.0.0.1:8703",
    PROJECT="tryon-test",  # the project the emulator serves
    ACCESS_TOKEN="vertex-test-token",  # the token it accepts: no Google credentials needed
)
