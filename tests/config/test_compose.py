"""The shipped docker-compose.yml is safe as it stands (issue 29 item 6): the app's port
was published while the app trusted one proxy's X-Forwarded-For, so any client could
write its own address (40 sign-in attempts from "rotating" addresses, never throttled,
the forged address on the trail)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_environment(service: dict) -> dict:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_it_publishes_no_app_port_only_the_tls_proxys():
    services = compose()["services"]

    published = {name for name, service in services.items() if service.get("ports")}

    assert published == {"proxy"}
    assert services["proxy"]["image"].startswith("caddy:")
    ports = {str(p).split(":")[-1].split("/")[0] for p in services["proxy"]["ports"]}
    assert ports == {"80", "443"}


def test_the_app_trusts_as_many_proxies_as_the_file_ships():
    services = compose()["services"]
    has_proxy = "proxy" in services

    for name in ("web", "worker", "beat"):
        env = app_environment(services[name])
        trusted = int(
            env.get("TRUSTED_PROXY_COUNT", "1" if env.get("BEHIND_TLS_PROXY") == "true" else "0")
        )
        assert trusted == (1 if has_proxy else 0), name


def test_the_proxy_forwards_to_web_and_trusts_no_forwarded_header_from_clients():
    services = compose()["services"]
    mounts = services["proxy"]["volumes"]
    caddyfile_mount = next(m for m in mounts if m.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = (ROOT / caddyfile_mount.split(":")[0]).read_text()
    directives = [
        line.strip()
        for line in caddyfile.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]

    assert "reverse_proxy web:8000" in directives
    # Caddy then replaces a client's X-Forwarded-For with the address it saw.
    assert not any(d.startswith("trusted_proxies") for d in directives)
    assert not any(d.startswith("log") for d in directives)  # no access log of URLs


def test_the_readme_production_steps_match_the_file():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production with Docker", 1)[1].split("\n## ", 1)[0]

    assert "HARBOR_DOMAIN=" in section
    assert "Caddy" in section
    assert "TRUSTED_PROXY_COUNT" in section
    assert "Put TLS in front of `web`" not in section
