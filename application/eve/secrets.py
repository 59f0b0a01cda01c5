"""The key that encrypts EVE tokens at rest (Fernet: AES-128-CBC with an HMAC-SHA256).

From ``MANUFACTORY_SECRET_KEY`` when set (any string: HKDF-SHA256 stretches it to a Fernet
key), else from a key file created once with 0600 permissions (``Settings.secret_key_path``);
an in-memory system gets a key of its own that dies with it.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.settings import Settings


def token_cipher(settings: Settings) -> Fernet:
    if settings.secret_key:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"manufactory eve tokens").derive(
            settings.secret_key.encode()
        )
        return Fernet(base64.urlsafe_b64encode(derived))
    if settings.in_memory:
        return Fernet(Fernet.generate_key())
    return Fernet(_key_file(settings))


def _key_file(settings: Settings) -> bytes:
    """The key file's key, creating the file if there is none: ``O_EXCL`` makes one process
    the creator when several start at once; the others read what it wrote."""
    path = settings.secret_key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key
