"""axe-core in the test browser: every rule, every impact, on the page as it is now.

axe-core comes from the npm registry, a pinned version installed once into
.cache/axe (with npm's own cache under .cache/npm, as dclint's is), so a
clean machine needs only Node.js and npm. The script is run in the page by
Playwright's `evaluate` (the pages' CSP refuses an added script tag and
`eval`, not the browser's debugging protocol).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from typing import Any

from playwright.async_api import Page

from tests.support.npm import REPO, npm_env

AXE = "axe-core@4.10.3"
AXE_PREFIX = REPO / ".cache" / "axe"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
# Every rule axe has for WCAG 2.x A and AA, and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise AssertionError("npm is missing: the accessibility tests need Node.js with npm")
        done = subprocess.run(
            [npm, "install", "--no-save", "--prefer-offline", "--prefix", str(AXE_PREFIX), AXE],
            capture_output=True,
            text=True,
            env=npm_env(),
            timeout=300,
            check=False,
        )
        if not AXE_SCRIPT.is_file():
            raise AssertionError(f"npm could not install {AXE}:\n{done.stdout}\n{done.stderr}")
    return AXE_SCRIPT.read_text(encoding="utf-8")


RUN_AXE = """async (tags) => {
  const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe finds on the page, of any impact."""
    if not await page.evaluate("() => Boolean(window.axe)"):
        await page.evaluate(axe_source())  # a script, not a function: run as it is
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE, TAGS)
    return found


def described(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)
