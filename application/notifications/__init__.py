"""Webhook notifications: registering webhooks, announcing what no event records, and the
loop that turns the log into outbox rows and posts them."""
