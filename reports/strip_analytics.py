"""Remove the analytics beacon that Allure 3's awesome template hard-codes (it ignores ALLURE_NO_ANALYTICS).

The report then makes no outbound request at all; everything else is inlined. Fails loudly when a new Allure
version changes the markup and a beacon would survive.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BEACON = re.compile(
    r"<script async src=\"https://www\.googletagmanager\.com/gtag/js[^\"]*\"></script>\s*"
    r"<script>\s*window\.dataLayer[\s\S]*?</script>"
)


def strip(html: str) -> tuple[str, int]:
    return BEACON.subn("", html)


def main(path: str) -> int:
    file = Path(path)
    html, removed = strip(file.read_text(encoding="utf-8"))
    if "googletagmanager" in html or "gtag(" in html:
        print(f"strip_analytics: an analytics script is left in {path}; update the pattern", file=sys.stderr)
        return 1
    file.write_text(html, encoding="utf-8")
    print(f"strip_analytics: removed {removed} analytics script(s) from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
