"""Read models: projections that turn events into tables, the runtime that feeds them, and
the query functions that read them."""
