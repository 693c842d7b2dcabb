"""The JupyterHub deployment config: valid for the Helm chart, and fit for an event day.

Helm validates a user's values by merging them over the chart's ``values.yaml`` and checking
the result against the chart's ``values.schema.json``. These tests do the same with the chart
files kept in the shared folder (``../shared/data/z2jh``) and the ``jsonschema`` package, so a
typo in ``deploy/jupyterhub/config.yaml`` fails here instead of during ``helm upgrade`` on the
morning of the event. The other tests check this project's choices in the merged values.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from bench import hub
from tests.paths import REPO_ROOT, SHARED_DIR_ENV, shared_folder

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

CONFIG = REPO_ROOT / "deploy" / "jupyterhub" / "config.yaml"
DEPLOY_README = REPO_ROOT / "deploy" / "README.md"

# KubeSpawner's byte specification: a number with an optional K, M, G or T suffix (powers of 1024).
_BYTE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def helm_merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge user values over chart defaults as Helm documents it (Values Files, Deleting a
    default key): maps merge key by key, anything else replaces the default, ``null`` deletes."""
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_bytes(spec: str | int) -> int:
    """Return a KubeSpawner memory value such as ``"1G"`` in bytes."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", str(spec).strip())
    if match is None:
        raise ValueError(f"{spec!r} is not a memory size like 512M or 2G")
    number, unit = match.groups()
    return int(float(number) * _BYTE_UNITS[unit])


@pytest.fixture(scope="module")
def chart() -> tuple[dict[str, Any], Any]:
    """The chart's default values, and a validator for its schema (of the draft it names)."""
    z2jh = shared_folder() / "data" / "z2jh"
    values_file, schema_file = z2jh / "values.yaml", z2jh / "values.schema.yaml"
    if not (values_file.is_file() and schema_file.is_file()):
        pytest.skip(
            f"The Zero to JupyterHub chart files are not in {z2jh}. "
            f"Set {SHARED_DIR_ENV} to the shared folder that holds data/z2jh/ to run these tests."
        )
    schema = yaml.safe_load(schema_file.read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return yaml.safe_load(values_file.read_text()), validator(schema)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


@pytest.fixture(scope="module")
def values(chart, config) -> dict[str, Any]:
    """What the chart templates will see: config.yaml merged over the chart defaults."""
    defaults, _ = chart
    return helm_merge(defaults, config)


def schema_errors(chart, config: dict[str, Any]) -> list[str]:
    """What Helm would refuse in ``config``: the schema's errors for it merged over the defaults."""
    defaults, validator = chart
    errors = sorted(validator.iter_errors(helm_merge(defaults, config)), key=lambda e: e.json_path)
    return [f"{error.json_path}: {error.message}" for error in errors]


def test_config_is_valid_for_the_chart(chart, config):
    assert schema_errors(chart, config) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("singleuser", "memory", "gaurantee"), "1G", "'gaurantee' was unexpected"),
        (("prepuller",), {"hook": {"enabled": True}}, "'prepuller' was unexpected"),
        (("cull", "timeout"), "45 minutes", "is not of type"),
        (("prePuller", "hook", "enabled"), "yes", "is not of type 'boolean'"),
    ],
    ids=["misspelled-key", "misspelled-section", "text-for-number", "text-for-boolean"],
)
def test_schema_rejects_broken_config(chart, config, path, value, expected):
    broken = copy.deepcopy(config)
    node = broken
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    errors = schema_errors(chart, broken)
    assert any(expected in error for error in errors), errors


def test_image_is_this_repository_built_by_repo2docker(values):
    image = values["singleuser"]["image"]
    assert image["name"].rsplit("/", 1)[-1] == "paygap-starter"
    assert "k8s-singleuser-sample" not in image["name"]
    assert image["tag"] and image["tag"] != "set-by-chartpress"


def test_image_runs_the_hub_server(values):
    # repo2docker images ship jupyterhub-singleuser, which the chart's default command starts.
    assert values["singleuser"]["cmd"] == "jupyterhub-singleuser"


def test_build_command_matches_the_hub_user(values):
    """The image's user must be the uid and home the hub runs and mounts."""
    readme = DEPLOY_README.read_text()
    commands = re.findall(r"jupyter-repo2docker --[^\n]*(?:\\\n[^\n]*)*", readme)
    assert commands, "deploy/README.md shows no jupyter-repo2docker command"
    uid = values["singleuser"]["uid"]
    home = values["singleuser"]["storage"]["homeMountPath"]
    for command in commands:
        assert f"--user-id {uid}" in command
        assert "--user-name jovyan" in command
    assert home.startswith("/home/jovyan/"), "mounting over /home/jovyan hides the repository"


def test_memory_guarantee_below_limit(values):
    memory = values["singleuser"]["memory"]
    assert parse_bytes(memory["guarantee"]) < parse_bytes(memory["limit"])
    for profile in values["singleuser"]["profileList"]:
        override = profile.get("kubespawner_override", {})
        guarantee = parse_bytes(override.get("mem_guarantee", memory["guarantee"]))
        limit = parse_bytes(override.get("mem_limit", memory["limit"]))
        assert guarantee < limit, profile["display_name"]


def test_memory_guarantee_covers_the_measured_peak(values):
    # bench.hub's table in docs/performance.md; The Littlest JupyterHub's rule adds 20-40%.
    peaks = [float(row["peak MB per attendee"]) for row in hub.measured()]
    assert peaks, "docs/performance.md has no bench.hub table"
    memory = values["singleuser"]["memory"]
    assert parse_bytes(memory["guarantee"]) >= 1.2 * max(peaks) * 2**20


def test_the_first_wave_finds_seats_held(values):
    scheduling = values["scheduling"]
    assert scheduling["userScheduler"]["enabled"] is True
    placeholders = scheduling["userPlaceholder"]
    assert placeholders["enabled"] is True and placeholders["replicas"] > 0
    assert scheduling["podPriority"]["enabled"] is True, "without it no one evicts a placeholder"
    assert "resources" not in placeholders or not placeholders["resources"], (
        "placeholders should take an attendee's size (the chart gives them singleuser's)"
    )


def test_spawn_limit_is_above_the_expected_arrivals(values):
    # The capacity example in deploy/README.md: all of them arrive at 9:00.
    attendees = int(re.search(r"Worked example: (\d+) attendees", DEPLOY_README.read_text())[1])
    assert values["hub"]["concurrentSpawnLimit"] > attendees


def test_memory_fits_mybinder(values):
    # The notebooks are budgeted for mybinder.org, which kills a server above 2 GB.
    assert parse_bytes(values["singleuser"]["memory"]["limit"]) <= parse_bytes("2G")


def test_cpu_guarantee_below_limit(values):
    cpu = values["singleuser"]["cpu"]
    assert 0 < cpu["guarantee"] <= cpu["limit"]


def test_idle_servers_are_culled(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert 30 * 60 <= cull["timeout"] <= 60 * 60
    assert 0 < cull["maxAge"] <= 24 * 60 * 60
    assert cull["every"] < cull["timeout"]


def test_image_is_pulled_before_users_arrive(values):
    assert values["prePuller"]["hook"]["enabled"] is True
    assert values["prePuller"]["continuous"]["enabled"] is True


def test_profiles_offer_a_default_and_more_memory(values):
    profiles = values["singleuser"]["profileList"]
    defaults = [p for p in profiles if p.get("default")]
    assert len(defaults) == 1
    assert "kubespawner_override" not in defaults[0], "the default uses singleuser.memory as is"
    standard = parse_bytes(values["singleuser"]["memory"]["guarantee"])
    bigger = [
        p
        for p in profiles
        if parse_bytes(p.get("kubespawner_override", {}).get("mem_guarantee", 0)) > standard
    ]
    assert bigger, "no profile offers more memory than the default"
    assert len({p["slug"] for p in profiles}) == len(profiles)


def test_default_url_opens_the_first_notebook(values):
    url = values["singleuser"]["defaultUrl"]
    assert url.startswith("/lab/tree/")
    notebook = url.removeprefix("/lab/tree/")
    assert re.fullmatch(r"notebooks/00_[a-z0-9_]+\.ipynb", notebook)
    assert (REPO_ROOT / notebook).is_file(), f"{notebook} does not exist in the repository"


def test_login_secrets_come_from_a_kubernetes_secret(values):
    hub = values["hub"]
    assert hub["config"]["JupyterHub"]["authenticator_class"] in {"shared-password", "github"}
    assert "SharedPasswordAuthenticator" not in hub["config"], "no password in config.yaml"
    for name in ("PAYGAP_SHARED_PASSWORD", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"):
        assert "secretKeyRef" in hub["extraEnv"][name]["valueFrom"], name
    assert any("PAYGAP_SHARED_PASSWORD" in code for code in hub["extraConfig"].values())


def test_login_travels_over_https(values):
    https = values["proxy"]["https"]
    assert https["enabled"] is True
    callback = values["hub"]["config"]["GitHubOAuthenticator"]["oauth_callback_url"]
    assert callback == f"https://{https['hosts'][0]}/hub/oauth_callback"
