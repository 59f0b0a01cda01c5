"""The notification outbox: fed from the event log, read by the delivery loop and the
deliveries query."""
