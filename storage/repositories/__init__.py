"""Repositories: keyword-only functions over a `Session` that add and flush, never commit."""
