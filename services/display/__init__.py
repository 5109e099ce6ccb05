"""Display: the hall screen page and WebSocket push to screens and phones (events in)."""
