"""`python -m services.ticketing`: run the ticketing service alone (what compose runs)."""

from services.ticketing.app import create_app
from shared.runtime import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("ticketing", create_app))
