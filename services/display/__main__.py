"""`python -m services.display`: run the display service alone (what compose runs)."""

from services.display.app import create_app
from shared.runtime import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("display", create_app))
