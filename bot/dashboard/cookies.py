"""Signed cookies: the session, the sign-in's state, and the CSRF token that goes with the session.

A cookie's value is `base64url(JSON) . base64url(HMAC-SHA256(key, purpose + JSON))`: tampering with a byte,
or using a cookie made for one purpose as another, fails the check. Each carries its own expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SESSION_COOKIE = "mindset_session"
STATE_COOKIE = "mindset_signin"
SESSION_FOR = timedelta(hours=12)
SIGN_IN_WITHIN = timedelta(minutes=10)
MAX_COOKIE_BYTES = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, purpose: str, payload: dict[str, Any], *, expires: datetime) -> str:
    body = json.dumps({**payload, "exp": int(expires.timestamp())}, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, purpose.encode() + b"\0" + body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def unsign(key: bytes, purpose: str, value: str | None, *, now: datetime) -> dict[str, Any] | None:
    """The payload of a cookie signed with `key` for `purpose` and not expired at `now`; None otherwise."""
    if not value or len(value) > MAX_COOKIE_BYTES or value.count(".") != 1:
        return None
    body_part, mac_part = value.split(".")
    try:
        body, mac = _unb64(body_part), _unb64(mac_part)
    except (binascii.Error, ValueError):
        return None
    expected = hmac.new(key, purpose.encode() + b"\0" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int) or payload["exp"] <= now.timestamp():
        return None
    return payload


@dataclass(frozen=True)
class SignedIn:
    """Who a session cookie says is signed in."""

    team_id: str
    user_id: str
    name: str
    csrf: str  # the token every form of this session carries
    team_domain: str = ""  # acme in acme.slack.com, for links to messages


def session_cookie(key: bytes, who: SignedIn, *, now: datetime) -> str:
    payload = {"team": who.team_id, "user": who.user_id, "name": who.name, "csrf": who.csrf, "domain": who.team_domain}
    return sign(key, SESSION_COOKIE, payload, expires=now + SESSION_FOR)


def read_session(key: bytes, value: str | None, *, now: datetime) -> SignedIn | None:
    payload = unsign(key, SESSION_COOKIE, value, now=now)
    if payload is None:
        return None
    fields = [payload.get(name) for name in ("team", "user", "name", "csrf")]
    if not all(isinstance(field, str) for field in fields):
        return None
    team, user, name, csrf = (str(field) for field in fields)
    domain = payload.get("domain")
    return SignedIn(team, user, name, csrf, domain if isinstance(domain, str) else "")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(who: SignedIn, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(who.csrf.encode(), str(given).encode())


def set_cookie(name: str, value: str, *, secure: bool, max_age: timedelta) -> str:
    flags = f"; Max-Age={int(max_age.total_seconds())}; Path=/dashboard; HttpOnly; SameSite=Lax"
    return f"{name}={value}{flags}{'; Secure' if secure else ''}"


def clear_cookie(name: str, *, secure: bool) -> str:
    return f"{name}=; Max-Age=0; Path=/dashboard; HttpOnly; SameSite=Lax{'; Secure' if secure else ''}"


def read_cookies(header_values: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in header_values:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name and name not in found:
                found[name] = value
    return found
