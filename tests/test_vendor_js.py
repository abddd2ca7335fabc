"""The QR decoder the gate page serves is the pinned npm package's own file."""

import json
from pathlib import Path

from tests.factories import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)


def test_the_served_jsqr_is_the_pinned_package():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/jsqr"]["version"]
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["jsqr"] == pinned
    installed = ROOT / "node_modules" / "jsqr"
    # `make test` installs node_modules with `npm ci` from the lock file.
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    served = (ROOT / "static" / "vendor" / "jsQR.js").read_bytes()
    assert served == (installed / "dist" / "jsQR.js").read_bytes(), (
        "static/vendor/jsQR.js differs from the pinned package: run scripts/vendor_js.sh"
    )
