"""What the browser gets: pages' static files, shipped in the package (no CDN: many users run
Manufactory offline, and a third-party script must not run on the origin where tokens live)."""

from pathlib import Path

STATIC_DIRECTORY = Path(__file__).parent / "static"
STATIC_PATH = "/static"
