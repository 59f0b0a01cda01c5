"""The ``manufactory`` command line."""
