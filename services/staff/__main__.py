"""`python -m services.staff`: run the staff service alone (what compose runs)."""

from services.staff.app import SPEC

if __name__ == "__main__":
    raise SystemExit(SPEC.main())
