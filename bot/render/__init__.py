"""Pure functions that turn plain data into Block Kit and plain-text fallbacks."""
