"""Persistence for the bot: typed models, repositories and Alembic migrations.

Nothing in this package imports Slack.
"""
