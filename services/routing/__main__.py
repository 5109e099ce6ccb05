"""`python -m services.routing`: run the routing service alone (what compose runs)."""

from services.routing.app import SPEC

if __name__ == "__main__":
    raise SystemExit(SPEC.main())
