"""The nudge engine: the database decides what is due; APScheduler is only the clock."""
