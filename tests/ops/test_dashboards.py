"""The committed Grafana dashboards: generated from code, well formed, and every query returns data."""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from tests.ops.dashboard_queries import DASHBOARD_DIR, dashboard_paths, panel_targets, substitute
from tests.ops.dashboard_queries import check_targets_return_data
from tests.ops.prometheus_server import REPO_ROOT

GRAFANA_DIR = REPO_ROOT / "deploy" / "grafana"


def test_dashboards_match_generator(monkeypatch):
    pytest.importorskip("grafana_foundation_sdk", reason="regenerating needs grafana-foundation-sdk")
    monkeypatch.syspath_prepend(str(GRAFANA_DIR))
    build_dashboards = importlib.import_module("build_dashboards")

    rendered = build_dashboards.rendered_files()

    assert sorted(rendered) == dashboard_paths()
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date; run {GRAFANA_DIR}/build_dashboards.py"
    for name in ("build_dashboards", "adoption_dashboard", "pipeline_dashboard", "panel_helpers"):
        sys.modules.pop(name, None)


def test_dashboards_exist():
    names = {path.name for path in dashboard_paths()}

    assert names == {"socialitica-adoption.json", "socialitica-pipeline.json"}


@pytest.mark.parametrize("path", dashboard_paths(), ids=lambda path: path.stem)
def test_dashboard_structure(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    panels = document["panels"]

    assert document["uid"] == path.stem
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        if panel["type"] == "row":
            assert panel["collapsed"] is False, panel["title"]
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        assert panel.get("description"), f"{panel['title']} has no description"


def test_panel_queries_use_known_variables():
    for target in panel_targets():
        substitute(target.expr)


def test_panel_queries_filter_on_job():
    for target in panel_targets():
        assert '$job' in target.expr, f"{target} does not filter on the job variable"


def test_provisioned_datasource_uid_matches_dashboards():
    import yaml

    provisioning = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uids = {source["uid"] for source in provisioning["datasources"]}

    for path in dashboard_paths():
        document = json.loads(path.read_text(encoding="utf-8"))
        variable = next(item for item in document["templating"]["list"] if item["name"] == "datasource")
        assert variable["current"]["value"] in uids


def test_every_panel_query_returns_sample_data(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    problems = check_targets_return_data(prometheus)

    assert problems == []


def test_dashboard_folder_is_provisioned():
    import yaml

    provisioning = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "socialitica.yml").read_text())

    assert provisioning["providers"][0]["options"]["path"] == "/etc/grafana/dashboards/socialitica"
    assert DASHBOARD_DIR.is_dir()
