"""docker-compose.yml read as `docker compose config` reads it (issue 27: it had never
been run, there being no Docker engine here): interpolated as Compose interpolates,
validated against the Compose Specification's own JSON schema (vendored, unchanged, in
tests/config/compose-spec/ with its licence, notice and source commit), its references
resolved; every service restarts and is health-checked, and every variable it reads
from the environment has a default or is documented in the README."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).resolve().parent / "compose-spec"
RESTARTS = {"always", "unless-stopped", "on-failure"}
# Compose reads durations as Go does: 30s, 1m30s, 500ms.
GO_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")
DURATIONS = ("interval", "timeout", "start_period", "start_interval")
NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
BRACED = re.compile(r"([_A-Za-z][_A-Za-z0-9]*)(?:(:?[-?])(.*))?", re.S)


class MissingVariable(Exception):
    pass


def interpolate(text: str, env: dict[str, str], seen: list[tuple[str, bool]]) -> str:
    """One YAML value as Compose interpolates it (compose-spec, 12-interpolation.md):
    $$ is a dollar; $NAME and ${NAME}; ${NAME:-default} (unset or empty) and
    ${NAME-default} (unset); ${NAME:?error} and ${NAME?error} refuse to go on; defaults
    and errors may nest; a $ before anything else stays. `seen` collects each variable
    read, and whether it has a default."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            match = BRACED.fullmatch(text[i + 2 : j - 1]) if not depth else None
            if match is None:
                raise ValueError(f"invalid interpolation {text[i:j]!r}")
            name, operator, argument = match.groups()
            seen.append((name, operator in (":-", "-")))
            value = env.get(name)
            if operator == ":-":
                value = value or interpolate(argument, env, seen)
            elif operator == "-":
                value = interpolate(argument, env, seen) if value is None else value
            elif operator in (":?", "?") and (not value if operator == ":?" else value is None):
                raise MissingVariable(f"{name}: {interpolate(argument, env, seen)}")
            out.append(value or "")  # unset with no default: Compose warns, reads ""
            i = j
        elif match := NAME.match(text, i + 1):
            seen.append((match.group(), False))
            out.append(env.get(match.group(), ""))
            i = match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def interpolated(value, env: dict[str, str], seen: list[tuple[str, bool]]):
    """Every value of the file interpolated; keys are not (as in Compose)."""
    if isinstance(value, dict):
        return {key: interpolated(item, env, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolated(item, env, seen) for item in value]
    if isinstance(value, str):
        return interpolate(value, env, seen)
    return value


def read_compose(env: dict[str, str] | None = None) -> tuple[dict, list[tuple[str, bool]]]:
    """The file with its anchors and merge keys resolved and interpolated in an empty
    environment (or `env`): what `docker compose config` would print."""
    seen: list[tuple[str, bool]] = []
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return interpolated(raw, env or {}, seen), seen


def schema_errors(document: dict) -> list[str]:
    schema = json.loads((SPEC / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


@pytest.fixture(scope="module")
def compose() -> dict:
    return read_compose()[0]


def test_the_vendored_schema_is_the_file_its_readme_names():
    readme = (SPEC / "README.md").read_text()
    digest = hashlib.sha256((SPEC / "compose-spec.json").read_bytes()).hexdigest()

    assert f"sha256 of the file: {digest}" in readme
    assert re.search(r"commit: [0-9a-f]{40}", readme)
    assert "Apache License" in (SPEC / "LICENSE").read_text()
    assert "The Compose Specification" in (SPEC / "NOTICE").read_text()


def test_it_is_valid_against_the_compose_specification(compose):
    assert schema_errors(compose) == []


def test_the_schema_check_refuses_what_compose_would(compose):
    misspelt = copy.deepcopy(compose)
    misspelt["services"]["worker"]["healtcheck"] = misspelt["services"]["worker"].pop("healthcheck")
    wrong_type = copy.deepcopy(compose)
    wrong_type["services"]["beat"]["healthcheck"]["retries"] = [3]
    unknown_top = copy.deepcopy(compose)
    unknown_top["service"] = {}

    assert any("healtcheck" in error for error in schema_errors(misspelt))
    assert any(
        error.startswith("services/beat/healthcheck/retries") for error in schema_errors(wrong_type)
    )
    assert any("service" in error for error in schema_errors(unknown_top))


def test_it_refers_only_to_what_it_declares(compose):
    services = compose["services"]
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on an unknown service {needed}"
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], f"{name} uses an undeclared secret {secret}"
            assert (ROOT / compose["secrets"][secret]["file"]).parent.name == "secrets"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not here"
            else:
                assert source in compose["volumes"], f"{name} uses an undeclared volume {source}"


def test_every_service_restarts_and_is_health_checked(compose):
    services = compose["services"]
    # A one-off job the others wait for (`migrate`): it ends, and must not be started again.
    jobs = {
        needed
        for service in services.values()
        if isinstance(service.get("depends_on"), dict)
        for needed, how in service["depends_on"].items()
        if how.get("condition") == "service_completed_successfully"
    }
    assert jobs == {"migrate"}
    for name, service in services.items():
        if name in jobs:
            assert service["restart"] == "no", name
            continue
        assert service.get("restart") in RESTARTS, f"{name} is not restarted when it exits"
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in {"CMD", "CMD-SHELL"} and len(check["test"]) > 1, name
        for key in DURATIONS:
            if key in check:
                assert GO_DURATION.fullmatch(check[key]), (name, key, check[key])
        if "stop_grace_period" in service:
            assert GO_DURATION.fullmatch(service["stop_grace_period"]), name


def test_every_variable_has_a_default_or_is_documented():
    _, seen = read_compose()
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production with Docker", 1)[1].split("\n## ", 1)[0]

    names = {name for name, _ in seen}
    assert {"HARBOR_DOMAIN", "ALLOWED_HOSTS"} <= names  # the reading found them
    undocumented = {
        name for name, defaulted in seen if not defaulted and not re.search(rf"\b{name}\b", section)
    }
    assert undocumented == set()


def test_it_reads_the_environment_as_compose_does():
    env = {"SET": "on", "EMPTY": ""}
    seen: list[tuple[str, bool]] = []

    assert interpolate("$$(cat /tmp/pid) $$HOME", env, seen) == "$(cat /tmp/pid) $HOME"
    assert interpolate("${SET} $SET-x ${UNSET}", env, seen) == "on on-x "
    assert interpolate("${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env, seen) == "d  d"
    assert interpolate("${UNSET:-${SET:-x}} ${UNSET:-${NOR:-deep}}", env, seen) == "on deep"
    assert interpolate("cost: $5 (50$)", env, seen) == "cost: $5 (50$)"
    with pytest.raises(MissingVariable, match="UNSET: say so"):
        interpolate("${UNSET:?say so}", env, seen)
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?}", env, seen)
    assert interpolate("${EMPTY?}", env, seen) == ""
    with pytest.raises(ValueError):
        interpolate("${SET", env, seen)
    with pytest.raises(ValueError):
        interpolate("${SET/on/off}", env, seen)
