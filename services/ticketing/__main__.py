"""`python -m services.ticketing`: run the ticketing service alone (what compose runs)."""

from services.ticketing.app import SPEC

if __name__ == "__main__":
    raise SystemExit(SPEC.main())
