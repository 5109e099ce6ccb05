"""`qms`: the one command line entry point.

- `qms up [--embedded]`: every service. On RabbitMQ (`QMS_AMQP_URL`, else the
  default URL if a broker answers there) each runs as its own process,
  `python -m services.<name>`, kept running (shared/runtime/supervise.py), and
  routing twice: a standby replica on `QMS_ROUTING_PORT` + 10 takes over the
  commands when the active one dies. With no broker, or with `--embedded`, all
  run in this process on the embedded bus, its log in `QMS_DATA_DIR`.
- `qms up --demo`: with `QMS_STAFF_TOKENS` empty, a one-off manager token for
  the staff pages, printed at start.
- `qms hash-token TOKEN`: the sha256 hex that `QMS_STAFF_TOKENS` holds.
- `qms staff --branch B --counter C ACTION`: a desk through the staff API
  (services/staff_cli.py).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence

import aiohttp
import structlog

from services import staff_cli
from shared.bus.connect import redact, resolve_amqp_url
from shared.config.schema import BranchConfig
from shared.config.settings import DEFAULT_AMQP_URL, Settings
from shared.logs import configure_logging, get_logger, log_format_from_env
from shared.runtime import EXIT_CONFIG, EXIT_FAILED, CreateApp, load_config, on_stop_signals
from shared.runtime.supervise import ChildSpec, supervise
from shared.runtime.together import run_together

# Start order for the embedded mode: the engine's consumers first, the citizens' door last.
START_ORDER = ("routing", "display", "staff", "ticketing")
# On RabbitMQ a second routing process stands by on each branch's command queue
# (single active consumer), its /healthz and /metrics on the routing port + 10.
STANDBY_ROUTING = "routing-2"
STANDBY_PORT_OFFSET = 10
# Restarts per child, in node_exporter's textfile format, under QMS_DATA_DIR.
RESTARTS_FILE = "qms-up.prom"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qms", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser("up", help="run every service")
    up.add_argument(
        "--embedded",
        action="store_true",
        help="all services in this process on the embedded bus, even if RabbitMQ answers",
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="with QMS_STAFF_TOKENS empty: print a one-off manager token for the staff pages",
    )
    hash_token = commands.add_parser("hash-token", help="print the sha256 hex of a staff token")
    hash_token.add_argument("token", help='the token; put "--" before one that starts with "-"')
    staff_cli.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "hash-token":
        print(token_hash(args.token))
        return 0
    if args.command == "staff":
        return staff_cli.run(args)
    return up_command(embedded=args.embedded, demo=args.demo)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def up_command(*, embedded: bool, demo: bool = False) -> int:
    configure_logging("qms", log_format_from_env(os.environ))
    log = get_logger("qms")
    config = load_config(log)
    if config is None:
        return EXIT_CONFIG
    settings, branches = config
    made = staff_cli.demo_token(settings) if demo else None
    if made is not None:
        token, settings, tokens_env = made
        os.environ["QMS_STAFF_TOKENS"] = tokens_env  # what the service processes read
        # An (empty) token file beside it would be the tokens given two ways.
        os.environ.pop("QMS_STAFF_TOKENS_FILE", None)
        print(f"Demo staff token (manager, this run only): {token}", flush=True)
    return asyncio.run(_up(settings, branches, embedded=embedded, log=log))


async def _up(
    settings: Settings,
    branches: dict[str, BranchConfig],
    *,
    embedded: bool,
    log: structlog.stdlib.BoundLogger,
) -> int:
    stop = asyncio.Event()
    kill = asyncio.Event()
    in_process = embedded

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("stopping", signal=sig.name)
            stop.set()
            return
        log.warning("second signal: stopping now", signal=sig.name)
        if in_process:
            os._exit(EXIT_FAILED)  # Nothing else can cut an in-process shutdown short.
        kill.set()

    on_stop_signals(on_signal)
    url = None if embedded else await resolve_amqp_url(settings)
    if url is None:
        in_process = True
        reason = "--embedded" if embedded else f"no RabbitMQ answers at {redact(DEFAULT_AMQP_URL)}"
        log.info(
            f"{reason}: running all services in this process on the embedded bus",
            data_dir=str(settings.data_dir),
        )

        async def on_ready_together(ports: Mapping[str, int]) -> None:
            bus = f"embedded bus, data in {settings.data_dir}"
            await print_urls(settings, branches, ports, bus)

        return await run_together(
            settings, branches, _apps(), stop=stop, on_ready=on_ready_together, log=log
        )

    log.info("running each service as its own process on RabbitMQ", url=redact(url))
    ports = process_ports(settings)
    specs = [
        ChildSpec(
            name,
            [sys.executable, "-m", f"services.{_service(name)}"],
            _url(settings, ports, name),
            env={"QMS_ROUTING_PORT": str(ports[name])} if name == STANDBY_ROUTING else {},
        )
        for name in ports
    ]
    # The children decide nothing on their own: they use the broker chosen here.
    # A configured one they read as this process did (a password file stays a
    # file, out of their environment); only the fallback is handed down.
    env = dict(os.environ)
    if not settings.amqp_url:
        env["QMS_AMQP_URL"] = url
    metrics_file = settings.data_dir / RESTARTS_FILE

    async def on_ready_apart() -> None:
        await print_urls(settings, branches, ports, f"RabbitMQ at {redact(url)}")
        print(f"  {'restarts':<10} {metrics_file}", flush=True)

    return await supervise(
        specs,
        env,
        stop=stop,
        kill=kill,
        on_ready=on_ready_apart,
        log=log,
        metrics_file=metrics_file,
    )


def process_ports(settings: Settings) -> dict[str, int]:
    """Each child's port on RabbitMQ: the services' own, and the standby routing replica's."""
    ports: dict[str, int] = {}
    for name in START_ORDER:
        ports[name] = settings.port(name)
        if name == "routing":
            port = ports[name]
            standby = (
                port + STANDBY_PORT_OFFSET
                if port + STANDBY_PORT_OFFSET <= 65535
                else port - STANDBY_PORT_OFFSET
            )
            ports[STANDBY_ROUTING] = standby if port else 0
    return ports


def _service(child: str) -> str:
    """The service a child runs: `routing-2` runs routing."""
    return "routing" if child == STANDBY_ROUTING else child


def _apps() -> dict[str, CreateApp]:
    # Imported here: `qms hash-token` and the process mode need none of the apps.
    from services.display.app import create_app as display
    from services.routing.app import create_app as routing
    from services.staff.app import create_app as staff
    from services.ticketing.app import create_app as ticketing

    apps: dict[str, CreateApp] = {
        "routing": routing,
        "display": display,
        "staff": staff,
        "ticketing": ticketing,
    }
    return {name: apps[name] for name in START_ORDER}


def _url(settings: Settings, ports: Mapping[str, int], service: str, path: str = "/healthz") -> str:
    # A wildcard bind address is not a place to point a browser at.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{ports[service]}{path}"


def pages(branch: BranchConfig) -> list[tuple[str, str, str]]:
    """(service, what, path) of every page the README lists, for one branch."""
    b = branch.id
    found = [
        ("ticketing", "kiosk", f"/kiosk/{b}"),
        ("staff", "desk console", f"/staff/{b}"),
        ("staff", "manager overview", f"/manager/{b}"),
    ]
    found += [("display", f"hall screen {a.id}", f"/display/{b}/{a.id}") for a in branch.areas]
    return found


async def print_urls(
    settings: Settings,
    branches: Mapping[str, BranchConfig],
    ports: Mapping[str, int],
    bus: str,
) -> None:
    """Every address, on stdout; a page a service does not serve yet says so.

    Asking each page beats a hand-kept list of which pages exist: it cannot
    go stale when a page lands.
    """
    lines = [f"qms is up ({bus}). Stop with Ctrl-C.", ""]
    for name in ports:
        lines.append(f"  {name:<10} {_url(settings, ports, name)}")
        lines.append(f"  {'':<10} {_url(settings, ports, name, '/metrics')}")
    timeout = aiohttp.ClientTimeout(total=2.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for branch in branches.values():
            lines += ["", f"  pages of {branch.id} ({branch.branch.name}):"]
            for service, what, path in pages(branch):
                url = _url(settings, ports, service, path)
                note = "" if await _served(session, url) else "  (coming: not served yet)"
                lines.append(f"  {what:<20} {url}{note}")
    print("\n".join(lines), flush=True)


async def _served(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


if __name__ == "__main__":
    raise SystemExit(main())
