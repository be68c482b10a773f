"""Registered meetings: when they happen and when their owner is prompted before them."""
