"""The web dashboard: Sign in with Slack, then the workspace's picture over quarters (README, Web dashboard)."""
