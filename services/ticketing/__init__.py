"""Ticketing: the kiosk page, the phone ticket page and the citizens' API.

HTTP in, commands out.
"""
