"""The shopper JSON API: create a try-on, follow it, fetch and delete its result."""
