"""Generate the dashboard JSON files of deploy/grafana/dashboards from the Python code beside this file.

Usage: python deploy/grafana/build_dashboards.py [--check]

The JSON files are committed, so Grafana provisioning needs no Python. Regenerate them after
changing a dashboard module; --check exits with status 1 when a committed file is out of date.
Needs grafana-foundation-sdk==1769699379!11.6.0 (the SDK build for Grafana 11.6).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

import adoption_dashboard
import pipeline_dashboard

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
MODULES = (adoption_dashboard, pipeline_dashboard)


def render(module) -> str:
    """Render one dashboard module as stable, indented JSON with numbered panels."""
    document = json.loads(json.dumps(module.build().build(), cls=JSONEncoder))
    # Grafana needs a unique id per panel to link to it, and the SDK leaves ids unset.
    for panel_id, panel in enumerate(document.get("panels", []), start=1):
        panel["id"] = panel_id
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_files() -> dict[Path, str]:
    return {DASHBOARD_DIR / f"{module.UID}.json": render(module) for module in MODULES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    arguments = parser.parse_args(argv)

    stale = []
    for path, text in rendered_files().items():
        if arguments.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")

    for path in stale:
        print(f"{path} is out of date; run python deploy/grafana/build_dashboards.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
