"""The squad's invite token: one per deployment, kept in the settings table. Whoever
holds the current invite link may save into the squad; the coach can replace it."""

from __future__ import annotations

import hmac

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from gait.store import schema as t
from gait.store.database import read_transaction, write_transaction
from gait.store.tokens import new_token, valid_token

INVITE_KEY = "invite_token"  # its row in the settings table


class InviteMixin:
    """The invite-token methods of `gait.store.analyses.Store` (which provides
    `engine`)."""

    engine: Engine

    def invite_token(self) -> str:
        """The squad's invite token (created on first use, once even under a race)."""
        current = self._current_invite()
        if current is not None:
            return current
        with write_transaction(self.engine) as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(t.settings).values(key=INVITE_KEY, value=new_token())
                         .on_conflict_do_nothing(index_elements=["key"]))
            return conn.scalar(select(t.settings.c.value).where(t.settings.c.key == INVITE_KEY))

    def _current_invite(self) -> str | None:
        with read_transaction(self.engine) as conn:
            return conn.scalar(select(t.settings.c.value).where(t.settings.c.key == INVITE_KEY))

    def rotate_invite_token(self) -> str:
        """A new invite token; the old invite link stops working."""
        token = new_token()
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(t.settings).where(t.settings.c.key == INVITE_KEY)
                                .values(value=token)).rowcount
            if not done:
                conn.execute(insert(t.settings).values(key=INVITE_KEY, value=token))
        return token

    def is_invite(self, token: str | None) -> bool:
        """Whether `token` is the current invite token (read-only; constant-time
        comparison)."""
        if not valid_token(token):
            return False
        current = self._current_invite()
        return current is not None and hmac.compare_digest(token.encode(), current.encode())
