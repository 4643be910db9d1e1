from django.utils.translation import gettext_lazy as _

TRYON = {
    # Keep shoppers' photos and results for 6 hours, and say so.
    "SHOPPER_RETENTION_HOURS": 6,
    "CONSENT_TEXT": _(
        "I agree that my photo is sent to our try-on partner to create this picture, "
        "and that it is deleted within 6 hours."
    ),
    "CONSENT_VERSION": "2026-11",  # recorded with each consent; change it with the text
    "RATE_LIMITS": {"SESSION": "5/h", "IP": "20/h"},
    "SHOPPER_DAILY_CREDIT_BUDGET": 2500,  # credits per day for shoppers' try-ons
    "PROMPT_MODE": True,  # "describe a garment instead", where the provider can
}
