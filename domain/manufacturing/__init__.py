"""Manufacturing coordinators (containers) and their runtime configuration."""
