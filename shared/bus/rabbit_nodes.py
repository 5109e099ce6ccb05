"""The broker nodes a RabbitBus may use: the URLs of one cluster, tried in turn.

`QMS_AMQP_URL` may list several nodes. A connection goes to the first that
answers; when it drops, the next attempt goes to the next node, round the
list. Each connection holder (the bus's session, each event reader) keeps a
rotation of its own, so one holder moving on never makes another skip a node.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.config.settings import parse_amqp_urls
from shared.logs import redact_passwords


class Nodes:
    def __init__(self, urls: str | Sequence[str], start: int = 0) -> None:
        self.urls = parse_amqp_urls(urls) if isinstance(urls, str) else tuple(urls)
        if not self.urls:
            raise ValueError("no broker URL")
        self._index = start % len(self.urls)

    def __len__(self) -> int:
        return len(self.urls)

    def __repr__(self) -> str:
        return redact_passwords(",".join(self.urls))

    @property
    def current(self) -> str:
        """The URL to connect to now."""
        return self.urls[self._index]

    @property
    def index(self) -> int:
        return self._index

    def advance(self) -> str:
        """Move on to the next node (after the last, the first again); its URL."""
        self._index = (self._index + 1) % len(self.urls)
        return self.current

    def fork(self) -> Nodes:
        """A rotation of its own over the same nodes, starting at the current one."""
        return Nodes(self.urls, self._index)
