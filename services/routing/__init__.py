"""Routing: the queue engine's shell (commands in, events out)."""
