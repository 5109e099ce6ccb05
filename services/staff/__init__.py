"""Staff: desk console, manager overview, statistics, staff API and auth.

HTTP in, commands out, events in.
"""
