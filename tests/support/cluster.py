"""Three RabbitMQ nodes on this machine, clustered, for the cluster test; removed at the end.

    with Cluster.create(tmp) as cluster:    # about 20 s to a running cluster
        urls = cluster.urls                 # amqp://guest:guest@127.0.0.1:PORT/ of each node
        cluster.kill(cluster.leader_of("qms.events.log.magion"))
        cluster.restart(node)               # it rejoins the cluster it left

Each node has its own name, AMQP and distribution ports, and folders (its
data, logs, config, plugins file, pid file), all under one folder owned by
the `rabbitmq` user: the server drops to that user and must write there.
The nodes share the Erlang cookie of the default node (the rabbitmq user's
home, /var/lib/rabbitmq), so `rabbitmqctl` reaches them as it reaches that
one. The default broker on 5672 is never touched. Only nodes started here are
ever killed, by the pid their pid file holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.processes import free_ports

SERVER = "rabbitmq-server"
NODES = ("a", "b", "c")
BOOT_WITHIN_S = 90


def rabbitmq_server() -> str | None:
    """The server's path when RabbitMQ is installed (sbin is not always on PATH)."""
    return shutil.which(SERVER) or shutil.which(SERVER, path="/usr/sbin:/usr/lib/rabbitmq/bin")


def _ctl() -> str:
    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin")
    assert found, "rabbitmqctl is not installed"
    return found


@dataclass
class Node:
    letter: str
    port: int
    dist_port: int
    folder: Path
    run: str  # in the node name: a run never meets a node of an earlier one

    @property
    def name(self) -> str:
        return f"rabbit-{self.letter}-{self.run}@{socket.gethostname().split('.')[0]}"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        folder = self.folder
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "pid"),
        }

    def pid(self) -> int | None:
        try:
            return int((self.folder / "pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class Cluster:
    def __init__(self, root: Path, nodes: list[Node]) -> None:
        self.root = root
        self.nodes = nodes

    @classmethod
    @contextlib.contextmanager
    def create(cls) -> Iterator[Cluster]:
        """Three nodes started and clustered; every one killed and its folder removed after."""
        root = Path(tempfile.mkdtemp(prefix="qms-cluster-"))
        root.chmod(0o755)  # the rabbitmq user must reach its folders inside
        cluster: Cluster | None = None
        try:
            # AMQP and distribution ports all distinct and free (5672's 25672 is taken).
            ports = free_ports(2 * len(NODES))
            run = uuid.uuid4().hex[:6]
            nodes = [
                Node(letter, ports[2 * i], ports[2 * i + 1], root / letter, run)
                for i, letter in enumerate(NODES)
            ]
            cluster = cls(root, nodes)
            for node in nodes:
                cluster._prepare(node)
                cluster._launch(node)
            for node in nodes:
                cluster.await_startup(node)
            first = nodes[0]
            for node in nodes[1:]:
                cluster.ctl(node, "stop_app")
                cluster.ctl(node, "join_cluster", first.name)
                cluster.ctl(node, "start_app")
            yield cluster
        finally:
            if cluster is not None:
                cluster.kill_all()
            shutil.rmtree(root, ignore_errors=True)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def node(self, name: str) -> Node:
        """The node of that Erlang node name (as `list_queues` names a leader)."""
        (found,) = [n for n in self.nodes if n.name == name]
        return found

    def ctl(self, node: Node, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [_ctl(), "-n", node.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"rabbitmqctl -n {node.name} {' '.join(args)}: {done}"
        return done.stdout

    def await_startup(self, node: Node) -> None:
        """Until the node runs RabbitMQ: `await_startup` fails fast before it is registered."""
        deadline = time.monotonic() + BOOT_WITHIN_S
        while True:
            done = subprocess.run(
                [_ctl(), "-n", node.name, "await_startup", "--timeout", str(BOOT_WITHIN_S)],
                capture_output=True,
                text=True,
                timeout=BOOT_WITHIN_S + 10,
                check=False,
            )
            if done.returncode == 0:
                return
            assert time.monotonic() < deadline, f"{node.name} did not start: {done.stderr}"
            time.sleep(0.5)

    def queues(self, via: Node | None = None) -> dict[str, dict[str, Any]]:
        """Every queue of the default vhost: name -> its type, leader and members."""
        node = via or next(n for n in self.nodes if n.running())
        out = self.ctl(
            node, "list_queues", "name", "type", "leader", "members", "--formatter", "json"
        )
        return {q["name"]: q for q in json.loads(out)}

    def await_members_online(self, queues: list[str], within: float = 60) -> float:
        """Until every member of each queue runs again (a restarted node has caught up)."""
        started = time.monotonic()
        while True:
            node = next(n for n in self.nodes if n.running())
            out = self.ctl(node, "list_queues", "name", "members", "online", "--formatter", "json")
            found = {q["name"]: q for q in json.loads(out)}
            if all(sorted(found[q]["online"]) == sorted(found[q]["members"]) for q in queues):
                return time.monotonic() - started
            assert time.monotonic() - started < within, f"members still offline: {found}"
            time.sleep(0.2)

    def leader_of(self, queue: str) -> Node:
        return self.node(self.queues()[queue]["leader"])

    def kill(self, node: Node) -> None:
        """kill -9 of the node's server (its pid file says which process that is)."""
        pid = node.pid()
        assert pid is not None, f"{node.name} has no pid file"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while node.running() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, node: Node) -> None:
        """Start a killed node again: it rejoins the cluster its data names."""
        assert not node.running()
        (node.folder / "pid").unlink(missing_ok=True)
        self._launch(node)
        self.await_startup(node)

    def kill_all(self) -> None:
        """kill -9 of every node still running; returns once they are gone (folders idle)."""
        for node in self.nodes:
            if node.running():
                self.kill(node)

    def _prepare(self, node: Node) -> None:
        for sub in ("mnesia", "log"):
            (node.folder / sub).mkdir(parents=True)
        (node.folder / "rabbitmq.conf").write_text(f"listeners.tcp.default = {node.port}\n")
        (node.folder / "enabled_plugins").write_text("[].\n")
        shutil.chown(node.folder, "rabbitmq", "rabbitmq")
        for path in node.folder.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")

    def _launch(self, node: Node) -> None:
        server = rabbitmq_server()
        assert server, "rabbitmq-server is not installed"
        subprocess.run(
            [server, "-detached"], env=node.env(), check=True, capture_output=True, timeout=30
        )
