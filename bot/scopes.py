"""The bot scopes the app asks for (app.manifest.yml lists the same; tests/test_manifest.py checks)."""

from __future__ import annotations

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:read",
    "groups:read",
    "users:read",
    "files:write",
)
