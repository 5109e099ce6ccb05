"""`python -m services.staff`: run the staff service alone (what compose runs)."""

from services.staff.app import create_app
from shared.runtime import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("staff", create_app))
