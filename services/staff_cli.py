"""`qms staff`: a desk from the command line, through the staff API over HTTP.

    qms staff --branch magion --counter service-2 call-next
    Skranke 2 kalder P012 (pas)

The token comes from `QMS_STAFF_TOKEN` (never from the command line, where
`ps` and the shell history would show it); the address from `--url`, else
`QMS_STAFF_URL`, else `http://127.0.0.1:{QMS_STAFF_PORT or 8082}`. One line
on stdout on success; the API's message on stderr and exit 1 on a refusal,
2 on a usage problem. HTTP only: this module imports no service.

Also `demo_token`, for `qms up --demo`: a one-off manager token when
`QMS_STAFF_TOKENS` names none.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from shared.config.settings import Settings, StaffToken

ACTIONS = ("open", "close", "call-next", "recall", "start", "finish", "no-show", "transfer")
TIMEOUT_S = 15.0
EXIT_REFUSED = 1
EXIT_USAGE = 2
DEMO_STAFF_ID = "demo"


def add_parser(commands: Any) -> None:
    """The `staff` subcommand on `qms`'s subparsers."""
    staff = commands.add_parser(
        "staff",
        help="act at a desk through the staff API (token in QMS_STAFF_TOKEN)",
        description="Act at a desk through the staff API. The token comes from QMS_STAFF_TOKEN.",
    )
    staff.add_argument("--branch", required=True, help="branch id, e.g. magion")
    staff.add_argument("--counter", required=True, help="desk id, e.g. service-2")
    staff.add_argument("--url", help="staff service address (default QMS_STAFF_URL or port)")
    staff.add_argument("action", choices=ACTIONS)
    staff.add_argument("service", nargs="?", help="transfer: the service to move the ticket to")
    staff.add_argument("--front", action="store_true", help="transfer: to the front of the queue")
    staff.add_argument(
        "--services", help="open: comma-separated services (default: the desk's skills)"
    )


def base_url(explicit: str | None, env: Mapping[str, str]) -> str:
    if explicit:
        return explicit.rstrip("/")
    if env.get("QMS_STAFF_URL"):
        return env["QMS_STAFF_URL"].rstrip("/")
    return f"http://127.0.0.1:{env.get('QMS_STAFF_PORT') or 8082}"


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    token = env.get("QMS_STAFF_TOKEN", "").strip()
    if not token:
        return _fail("set QMS_STAFF_TOKEN to your staff token", EXIT_USAGE)
    body: dict[str, Any] = {}
    if args.action == "transfer":
        if not args.service:
            return _fail("transfer needs a service: qms staff ... transfer SERVICE", EXIT_USAGE)
        body = {"service": args.service, "position": "front" if args.front else "back"}
    elif args.service or args.front:
        return _fail(f"{args.action} takes no service and no --front", EXIT_USAGE)
    if args.services is not None:
        if args.action != "open":
            return _fail("--services goes with open only", EXIT_USAGE)
        body = {"services": [s.strip() for s in args.services.split(",") if s.strip()]}
    path = "/api/v1/branches/{}/counters/{}/{}".format(
        urllib.parse.quote(args.branch, safe=""),
        urllib.parse.quote(args.counter, safe=""),
        args.action,
    )
    url = base_url(args.url, env) + path
    status, answer = post(url, token, body)
    if status == 0:
        return _fail(f"cannot reach the staff service at {base_url(args.url, env)}: {answer}")
    if status >= 400:
        detail = answer.get("detail") or answer.get("title") or f"HTTP {status}"
        code = answer.get("code")
        return _fail(f"{detail} ({code})" if code else detail)
    print(describe(args.action, answer), flush=True)
    return 0


def post(url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    """(status, JSON answer); (0, reason) when nothing answered."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return int(response.status), _json(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), _json(exc.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, str(reason)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"detail": raw.decode("utf-8", "replace")[:200]}
    return data if isinstance(data, dict) else {"detail": str(data)}


def describe(action: str, r: Mapping[str, Any]) -> str:
    """The one line a person at the desk wants to read."""
    desk = r.get("counter_name") or r.get("counter") or "Skranken"
    number = r.get("number")
    if action == "open":
        return f"{desk} er åben: {', '.join(r.get('services', []))}"
    if action == "close":
        return f"{desk} er lukket"
    if action == "call-next":
        return f"{desk} kalder {number} ({r.get('service')})"
    if action == "recall":
        return f"{desk} kalder {number} igen ({r.get('recalls')}. gang)"
    if action == "start":
        return f"{desk} betjener {number}"
    if action == "finish":
        minutes = round(float(r.get("service_s") or 0) / 60)
        return f"{desk} er færdig med {number} ({minutes} min)"
    if action == "no-show":
        return f"{number} mødte ikke op ved {desk}"
    position = "forrest" if r.get("position") == "front" else "bagerst"
    return f"{number} er flyttet til {r.get('service')} ({position} i køen)"


def _fail(message: str, code: int = EXIT_REFUSED) -> int:
    print(f"qms staff: {message}", file=sys.stderr, flush=True)
    return code


def demo_token(settings: Settings) -> tuple[str, Settings, str] | None:
    """For `qms up --demo` with no QMS_STAFF_TOKENS: (token, settings with it, env value).

    A manager token made for this run only; None when tokens are configured.
    """
    if settings.staff_tokens:
        return None
    token = secrets.token_urlsafe(18)
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    entry = StaffToken(DEMO_STAFF_ID, "manager", digest)
    env_value = f"{DEMO_STAFF_ID}:manager:{digest}"
    return token, dataclasses.replace(settings, staff_tokens=(entry,)), env_value
