"""Notifications: the webhooks a user registers, what can be announced to them (the kinds),
and the bodies and signatures they are sent with."""
