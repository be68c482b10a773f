"""Use cases behind the listeners: they open a unit of work, call repositories and commit."""
