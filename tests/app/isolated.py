"""Run a few requests in a fresh interpreter with its own configuration: the rate limiter is
one object per process, so an app with other limit storage cannot share the suite's."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_app(code: str, config: dict, env: dict | None = None) -> dict:
    """Run `code` with `app` (create_app(config)) and `client` defined; it sets `out`."""
    script = (
        textwrap.dedent(
            """
        import json, sys
        from partyschool.app.factory import create_app
        app = create_app(json.loads(sys.argv[1]))
        client = app.test_client()
        out = {}
        """
        )
        + textwrap.dedent(code)
        + "\nprint(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
