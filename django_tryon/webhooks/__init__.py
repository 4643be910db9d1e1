"""Provider callbacks: signed webhooks that shortcut polling."""
