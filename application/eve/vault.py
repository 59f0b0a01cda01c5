"""Where the secrets of the EVE connection are kept: logins under way and linked characters'
tokens, in tables of their own (migration 0013), never in the event store.

Every token and verifier is encrypted (``application/eve/secrets.py``) before it is written;
a login's state is kept as its SHA-256 (the browser brings it back; the table needs only to
recognise it). Each transaction begins with a write, so SQLite takes its lock at once
instead of upgrading a read lock (which fails instead of waiting when another writer holds it).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import msgspec
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import Engine

_metadata = sa.MetaData()
_logins = sa.Table(
    "eve_logins",
    _metadata,
    sa.Column("state_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Uuid),
    sa.Column("verifier", sa.Text),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
)
_tokens = sa.Table(
    "eve_tokens",
    _metadata,
    sa.Column("user_id", sa.Uuid, primary_key=True),
    sa.Column("character_id", sa.BigInteger, primary_key=True),
    sa.Column("refresh_token", sa.Text),
    sa.Column("access_token", sa.Text),
    sa.Column("access_expires_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)


class PendingLogin(msgspec.Struct, frozen=True):
    user_id: UUID | None  # None: a sign-in to the console, whose user the character will say
    verifier: str


class CharacterTokens(msgspec.Struct, frozen=True):
    refresh_token: str
    access_token: str | None
    access_expires_at: datetime | None

    def __repr__(self) -> str:  # a stray log line or traceback shows no secret
        return f"CharacterTokens(access_expires_at={self.access_expires_at!r})"


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back the naive UTC time it was given."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class TokenVault:
    """``cipher`` is called on first use: a system that never links a character never
    creates a key file."""

    def __init__(self, engine: Engine, cipher: Callable[[], Fernet]) -> None:
        self._engine = engine
        self._make_cipher = cipher
        self._cipher: Fernet | None = None
        self._lock = threading.Lock()

    def _fernet(self) -> Fernet:
        with self._lock:
            if self._cipher is None:
                self._cipher = self._make_cipher()
            return self._cipher

    def _seal(self, secret: str) -> str:
        return self._fernet().encrypt(secret.encode()).decode()

    def _open(self, sealed: str) -> str:
        return self._fernet().decrypt(sealed.encode()).decode()

    def put_login(self, state: str, user_id: UUID | None, verifier: str, expires_at: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(sa.delete(_logins).where(_logins.c.expires_at < datetime.now(UTC)))
            connection.execute(
                sa.insert(_logins).values(
                    state_hash=_state_hash(state), user_id=user_id, verifier=self._seal(verifier), expires_at=expires_at
                )
            )

    def take_login(self, state: str, now: datetime) -> PendingLogin | None:
        """The login ``state`` belongs to, removed so it is used once; None when it is unknown,
        already used or expired."""
        with self._engine.begin() as connection:
            row = connection.execute(
                sa.delete(_logins)
                .where(_logins.c.state_hash == _state_hash(state))
                .returning(_logins.c.user_id, _logins.c.verifier, _logins.c.expires_at)
            ).first()
        if row is None or (_aware(row.expires_at) or now) <= now:
            return None
        return PendingLogin(row.user_id, self._open(row.verifier))

    def store(
        self, user_id: UUID, character_id: int, refresh_token: str, access_token: str, expires_at: datetime
    ) -> None:
        with self._engine.begin() as connection:
            self._delete(connection, user_id, character_id)
            connection.execute(
                sa.insert(_tokens).values(
                    user_id=user_id,
                    character_id=character_id,
                    refresh_token=self._seal(refresh_token),
                    access_token=self._seal(access_token),
                    access_expires_at=expires_at,
                    updated_at=datetime.now(UTC),
                )
            )

    def tokens(self, user_id: UUID, character_id: int) -> CharacterTokens | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(_tokens.c.refresh_token, _tokens.c.access_token, _tokens.c.access_expires_at).where(
                    _tokens.c.user_id == user_id, _tokens.c.character_id == character_id
                )
            ).first()
        if row is None:
            return None
        access = self._open(row.access_token) if row.access_token else None
        return CharacterTokens(self._open(row.refresh_token), access, _aware(row.access_expires_at))

    def linked(self) -> list[tuple[UUID, int]]:
        """Every (user, character) holding tokens: whom the sync loop visits."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(_tokens.c.user_id, _tokens.c.character_id).order_by(_tokens.c.user_id, _tokens.c.character_id)
            ).all()
        return [(row.user_id, row.character_id) for row in rows]

    def holders(self, character_id: int) -> list[UUID]:
        """The users who keep tokens of the character (each linked it through the SSO)."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(_tokens.c.user_id).where(_tokens.c.character_id == character_id).order_by(_tokens.c.user_id)
            )
            return list(rows.scalars())

    def erase(self, user_id: UUID, character_id: int) -> None:
        with self._engine.begin() as connection:
            self._delete(connection, user_id, character_id)

    @staticmethod
    def _delete(connection: sa.Connection, user_id: UUID, character_id: int) -> None:
        connection.execute(
            sa.delete(_tokens).where(_tokens.c.user_id == user_id, _tokens.c.character_id == character_id)
        )
