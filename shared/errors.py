"""The one exception base of the `shared` package, and its families."""

from __future__ import annotations


class QmsError(Exception):
    """Base of every error this project raises on purpose."""


class MessageError(QmsError):
    """An event, command or reply that does not match the contract.

    `field` names the offending field as a dotted path (``data.number``), so a
    log line or an HTTP 400 can say exactly what is wrong.
    """

    def __init__(self, kind: str, field: str, reason: str) -> None:
        self.kind = kind
        self.field = field
        self.reason = reason
        super().__init__(f"invalid {kind}: {field}: {reason}")


class ConfigError(QmsError):
    """A branch file or an environment setting that cannot be used.

    Names the file (or the environment), the key and the reason.
    """

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        super().__init__(f"{source}: {key}: {reason}")


class BusError(QmsError):
    """The message bus failed to do what was asked."""


class BusTimeout(BusError):
    """A request got no reply within its time and retries."""


class BusClosed(BusError):
    """The bus was used after it was closed."""
