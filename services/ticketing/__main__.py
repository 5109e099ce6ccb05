"""`python -m services.ticketing`: run the ticketing service alone (what compose runs)."""

import os

from services.ticketing.app import create_app
from services.ticketing.options import TicketingOptions
from shared.errors import ConfigError
from shared.logs import configure_logging, get_logger, log_format_from_env
from shared.runtime import EXIT_CONFIG, report_config_error, run_service


def main() -> int:
    # Checked before start-up so a bad value stops with one line and exit 2,
    # like a bad branch file, instead of a traceback from inside create_app.
    try:
        TicketingOptions.from_env(os.environ)
    except ConfigError as exc:
        configure_logging("ticketing", log_format_from_env(os.environ))
        report_config_error(get_logger("ticketing"), exc)
        return EXIT_CONFIG
    return run_service("ticketing", create_app)


if __name__ == "__main__":
    raise SystemExit(main())
