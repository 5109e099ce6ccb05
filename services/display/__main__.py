"""`python -m services.display`: run the display service alone (what compose runs)."""

from services.display.app import SPEC

if __name__ == "__main__":
    raise SystemExit(SPEC.main())
