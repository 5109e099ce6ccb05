"""npm and npx as the tests run them: the project's own cache under .cache/npm, quiet.

A clean machine needs only Node.js with npm: each tool a test uses comes
from the npm registry at a pinned version, cached here.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NPM_CACHE = REPO / ".cache" / "npm"


def npm_env() -> dict[str, str]:
    """This environment, with npm's cache in the repo and no notices or audits."""
    return {
        **os.environ,
        "npm_config_cache": str(NPM_CACHE),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }
