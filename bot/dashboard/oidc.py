"""Sign in with Slack (OpenID Connect): where to send a person, and who they are once Slack sends them back.

The code Slack hands back is exchanged with `openid.connect.token` (the app's client id and secret), and the
person read with `openid.connect.userInfo` (the user token that exchange gave). The ID token comes straight
from Slack over the same connection, so its claims are read without checking its signature (OpenID Connect
Core 3.1.3.7); its nonce must be the one this sign-in began with.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings

SCOPES = "openid email profile"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
DOMAIN_CLAIM = "https://slack.com/team_domain"  # acme in acme.slack.com: the messages' permalinks
DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
TIMEOUT = 10


class SignInFailed(Exception):
    """Why a sign-in could not complete, in a sentence for the person."""


@dataclass(frozen=True)
class Identity:
    team_id: str
    user_id: str
    name: str
    team_domain: str = ""


def slack_base(settings: Settings) -> str:
    """https://slack.com/ (or the fake Slack's root in tests): SLACK_API_URL without its `api/`."""
    api = settings.slack_api_url
    return api[: -len("api/")] if api.endswith("/api/") else api


def authorize_url(settings: Settings, *, redirect_uri: str, state: str, nonce: str) -> str:
    assert settings.slack_client_id is not None
    query = urlencode(
        {
            "response_type": "code",
            "scope": SCOPES,
            "client_id": settings.slack_client_id,
            "state": state,
            "nonce": nonce,
            "redirect_uri": redirect_uri,
        }
    )
    return f"{slack_base(settings)}openid/connect/authorize?{query}"


def _claims(id_token: str) -> dict[str, Any]:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise SignInFailed("Slack's answer was not what sign-in expects. Try again.")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise SignInFailed("Slack's answer was not what sign-in expects. Try again.") from None
    if not isinstance(payload, dict):
        raise SignInFailed("Slack's answer was not what sign-in expects. Try again.")
    return payload


def identify(settings: Settings, *, code: str, redirect_uri: str, nonce: str) -> Identity:
    """Who signed in, from the code Slack sent back; `SignInFailed` saying why not."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    client = WebClient(base_url=settings.slack_api_url, timeout=TIMEOUT)
    try:
        token = client.openid_connect_token(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            code=code,
            redirect_uri=redirect_uri,
        )
        claims = _claims(str(token.get("id_token") or ""))
        if claims.get("nonce") != nonce or claims.get("aud") != settings.slack_client_id:
            raise SignInFailed("This sign-in link was not made for this page. Sign in again.")
        info = WebClient(
            base_url=settings.slack_api_url, token=str(token.get("access_token") or ""), timeout=TIMEOUT
        ).openid_connect_userInfo()
    except SlackApiError as error:
        code_name = error.response.get("error") if error.response is not None else "an error"
        raise SignInFailed(f"Slack did not confirm who you are ({code_name}). Sign in again.") from None
    except OSError:
        raise SignInFailed("Slack could not be reached just now. Try again in a minute.") from None
    team_id, user_id = str(info.get(TEAM_CLAIM) or ""), str(info.get(USER_CLAIM) or info.get("sub") or "")
    if not team_id or not user_id or team_id != claims.get(TEAM_CLAIM):
        raise SignInFailed("Slack's answer did not say which workspace you are in. Sign in again.")
    name = str(info.get("name") or info.get("given_name") or user_id)[:80]
    domain = str(info.get(DOMAIN_CLAIM) or "")
    return Identity(team_id, user_id, name, domain if DOMAIN.fullmatch(domain) else "")
