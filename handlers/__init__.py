"""Slack listeners, grouped by surface (`handlers.registry` wires them), and pure renderers."""
