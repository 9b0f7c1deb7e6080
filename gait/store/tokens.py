"""Capability tokens: `secrets.token_urlsafe(32)` (256 bits, 43 URL-safe characters).

Share, history, invite and workshop tokens are stored as they are (the app shows them
again). An owner's delete token is shown once and stored only as its SHA-256: a copy
of the database does not let anyone delete. (A plain hash is enough: the token is 256
random bits, nothing to brute-force.)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(token: str | None) -> bool:
    """Whether `token` has the shape of one of ours (anything else finds nothing)."""
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


def token_hash(token: str) -> str:
    """What is stored of a secret token: its SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def matches_hash(token: str | None, stored_hash: str | None) -> bool:
    """Whether `token` is the one whose hash was stored (constant-time comparison)."""
    if not valid_token(token) or not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token).encode(), stored_hash.encode())
