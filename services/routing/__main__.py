"""`python -m services.routing`: run the routing service alone (what compose runs)."""

from services.routing.app import create_app
from shared.runtime import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("routing", create_app))
