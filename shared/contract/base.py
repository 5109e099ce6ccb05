"""Pieces both envelopes use: the strict model base and error translation."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import MessageError

BRANCH_ID_PATTERN = r"^[a-z0-9-]+$"
BranchId = Annotated[str, Field(pattern=BRANCH_ID_PATTERN, max_length=64)]
Identifier = Annotated[str, Field(min_length=1, max_length=128)]

_BRANCH_RE = re.compile(BRANCH_ID_PATTERN)


def is_branch_id(value: str) -> bool:
    # fullmatch: with match, "$" would also accept a trailing newline.
    return bool(_BRANCH_RE.fullmatch(value)) and len(value) <= 64


class Strict(BaseModel):
    """Immutable, and unknown fields are an error rather than silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def field_path(loc: tuple[int | str, ...]) -> str:
    """('data', 'services', 0) -> 'data.services[0]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def message_error(kind: str, exc: ValidationError, prefix: str = "") -> MessageError:
    first: Any = exc.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    # pydantic puts the union member or the json-invalid marker into loc; drop them.
    loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
    path = field_path(loc)
    if prefix:
        path = f"{prefix}.{path}" if path != "(root)" else prefix
    return MessageError(kind, path, str(first["msg"]))
