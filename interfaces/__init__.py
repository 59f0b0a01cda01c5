"""Ways in: the Litestar HTTP API and the ``manufactory`` command line."""
