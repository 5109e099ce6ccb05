"""The test kit: branches, buses, halls of running services, clients, events and commands."""
