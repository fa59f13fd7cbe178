"""deploy/compose.yaml and deploy/k8s agree with the worker's settings, with each other and with Prometheus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.settings import ENV_PREFIX, Settings
from tests.ops.prometheus_server import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "deploy"
COMPOSE_PATH = DEPLOY_DIR / "compose.yaml"
K8S_DIR = DEPLOY_DIR / "k8s"
PROMETHEUS_CONFIG = DEPLOY_DIR / "prometheus" / "prometheus.yml"
SETTING_NAMES = frozenset(f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields)
MIN_RETENTION_DAYS = 30


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))


def load_k8s() -> dict[str, dict]:
    """Every manifest of deploy/k8s by `Kind/name`."""
    documents = {}
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and document.get("kind") != "Kustomization":
                documents[f"{document['kind']}/{document['metadata']['name']}"] = document
    return documents


def worker_services(compose: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("command") == ["socialitica", "worker"]
    }


def socialitica_names(mapping: dict) -> set[str]:
    return {name for name in mapping if name.startswith(ENV_PREFIX)}


def days(duration: str) -> float:
    match = re.fullmatch(r"(\d+)([dwy])", duration)
    assert match, f"unexpected retention {duration!r}"
    return int(match.group(1)) * {"d": 1, "w": 7, "y": 365}[match.group(2)]


def test_settings_list_is_not_empty():
    assert {"SOCIALITICA_BROKER", "SOCIALITICA_DATA_DIR", "SOCIALITICA_WEB_PORT"} <= SETTING_NAMES


def test_compose_runs_two_workers():
    compose = load_compose()

    assert len(worker_services(compose)) >= 2
    assert {"kafka", "prometheus", "alertmanager", "grafana"} <= set(compose["services"])


def test_compose_worker_variables_are_settings():
    for name, service in worker_services(load_compose()).items():
        unknown = socialitica_names(service["environment"]) - SETTING_NAMES
        assert unknown == set(), f"{name} sets variables that pipeline.settings does not read"


def test_compose_workers_listen_where_prometheus_scrapes():
    compose = load_compose()
    prometheus = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "socialitica-worker")
    targets = {target for config in job["static_configs"] for target in config["targets"]}

    expected = set()
    for name, service in worker_services(compose).items():
        environment = service["environment"]
        assert environment["SOCIALITICA_WEB_HOST"] == "0.0.0.0", f"{name} must listen beyond loopback"
        expected.add(f"{service['hostname']}:{environment['SOCIALITICA_WEB_PORT']}")
    assert targets == expected


def test_compose_workers_reach_kafka():
    compose = load_compose()
    kafka = compose["services"]["kafka"]["environment"]
    advertised = kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")

    for name, service in worker_services(compose).items():
        broker = service["environment"]["SOCIALITICA_BROKER"].removeprefix("kafka://")
        assert f"PLAINTEXT://{broker}" in advertised, f"{name}: {broker} is not an advertised listener"


def test_compose_worker_volumes():
    compose = load_compose()
    declared = set(compose["volumes"])

    for name, service in worker_services(compose).items():
        mounts = dict(volume.split(":")[:2][::-1] for volume in service["volumes"])
        data_dir = service["environment"]["SOCIALITICA_DATA_DIR"]
        assert data_dir in mounts, f"{name}: no volume at SOCIALITICA_DATA_DIR"
        assert f"{data_dir}/warehouse" in mounts, f"{name}: no shared warehouse volume"
        assert mounts[f"{data_dir}/warehouse"] == "warehouse"
        assert set(mounts.values()) <= declared
    data_volumes = [service["volumes"][0] for service in worker_services(compose).values()]
    assert len(set(data_volumes)) == len(data_volumes), "workers must not share RocksDB state"


def test_compose_mounts_exist():
    compose = load_compose()
    declared = set(compose["volumes"])

    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY_DIR / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_compose_publishes_on_loopback_only():
    for name, service in load_compose()["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_compose_prometheus_keeps_five_weeks():
    command = load_compose()["services"]["prometheus"]["command"]
    retention = next(arg.split("=", 1)[1] for arg in command if arg.startswith("--storage.tsdb.retention.time="))

    assert days(retention) >= MIN_RETENTION_DAYS


def test_compose_grafana_mounts_provisioning():
    grafana = load_compose()["services"]["grafana"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"]}
    provider = yaml.safe_load((DEPLOY_DIR / "grafana/provisioning/dashboards/socialitica.yml").read_text())

    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    assert mounts[provider["providers"][0]["options"]["path"]] == "./grafana/dashboards"


def test_k8s_configmap_keys_are_settings():
    config = load_k8s()["ConfigMap/socialitica-worker"]["data"]

    assert set(config) - SETTING_NAMES == set()
    assert config["SOCIALITICA_WEB_HOST"] == "0.0.0.0"


def test_k8s_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    manifests = {path.name for path in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}

    assert set(kustomization["resources"]) == manifests


def test_k8s_ports_agree():
    manifests = load_k8s()
    port = int(manifests["ConfigMap/socialitica-worker"]["data"]["SOCIALITICA_WEB_PORT"])
    pod = manifests["StatefulSet/socialitica-worker"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    service = manifests["Service/socialitica-worker"]
    monitor = manifests["ServiceMonitor/socialitica-worker"]

    assert {item["name"]: item["containerPort"] for item in container["ports"]} == {"metrics": port}
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port)
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert service["spec"]["ports"][0]["port"] == port
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]


def test_k8s_statefulset_is_headless_and_selected():
    manifests = load_k8s()
    statefulset = manifests["StatefulSet/socialitica-worker"]
    service = manifests[f"Service/{statefulset['spec']['serviceName']}"]
    labels = statefulset["spec"]["template"]["metadata"]["labels"]

    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert manifests["ServiceMonitor/socialitica-worker"]["spec"]["selector"]["matchLabels"].items() <= (
        service["metadata"]["labels"].items()
    )
    # The alert rules match job="socialitica-worker", the Service name under the Operator.
    assert service["metadata"]["name"] == "socialitica-worker"


def test_k8s_volumes_are_declared():
    manifests = load_k8s()
    spec = manifests["StatefulSet/socialitica-worker"]["spec"]
    container = spec["template"]["spec"]["containers"][0]
    data_dir = manifests["ConfigMap/socialitica-worker"]["data"]["SOCIALITICA_DATA_DIR"]
    claims = {claim["metadata"]["name"] for claim in spec["volumeClaimTemplates"]}
    volumes = {volume["name"]: volume for volume in spec["template"]["spec"]["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}

    assert set(mounts.values()) <= claims | set(volumes)
    assert mounts[data_dir] in claims, "RocksDB state must be on a per-pod volume"
    warehouse_claim = volumes[mounts[f"{data_dir}/warehouse"]]["persistentVolumeClaim"]["claimName"]
    assert f"PersistentVolumeClaim/{warehouse_claim}" in manifests


def test_k8s_resources_are_bounded():
    container = load_k8s()["StatefulSet/socialitica-worker"]["spec"]["template"]["spec"]["containers"][0]

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])


@pytest.mark.parametrize("path", sorted(DEPLOY_DIR.rglob("*.y*ml")), ids=lambda path: str(path.relative_to(DEPLOY_DIR)))
def test_deploy_files_name_only_known_settings(path: Path):
    text = path.read_text(encoding="utf-8")

    named = set(re.findall(r"\bSOCIALITICA_[A-Z0-9_]+\b", text))

    assert named - SETTING_NAMES == set()
