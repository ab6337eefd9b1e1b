#!/usr/bin/env python3
"""Run external SCIM 2.0 conformance tools against a live server.

Run with the venv created by ``tools/conformance/install.sh``::

    .cache/conformance-venv/bin/python tools/conformance/run_conformance.py \
        --url http://127.0.0.1:3000/directory/<id>/scim/v2 --token <bearer> \
        [--tool scim2-tester|scim-sanity|all] --json-out results.json

Writes ``{"tools": [{name, version, passed, failed, skipped, warnings, ...}], ...}``
to ``--json-out`` and a human-readable summary to stdout.  Exit code: 0 when no
tool reported a failure, 1 otherwise (2 on usage errors).  The bearer token is
never printed nor written: every string leaving this script is scrubbed.

Both tools create, modify and delete Users and Groups on the target server.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
import urllib.error
import urllib.request
from importlib import metadata
from typing import Any

TOOLS = ("scim2-tester", "scim-sanity")

# ServiceProviderConfig attribute names of the optional features.
SPC_FEATURES = ("patch", "bulk", "filter", "changePassword", "sort", "etag")


class Redactor:
    """Remove secrets from any text that is printed or written."""

    def __init__(self, *secrets: str | None) -> None:
        self.secrets = [s for s in secrets if s]

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            for s in self.secrets:
                value = value.replace(s, "***")
            return value
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not-installed"


def _no_proxy_for(url: str) -> None:
    """Make sure loopback/test targets are never sent through an env proxy."""
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0]
    current = [h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h]
    for h in (host, "127.0.0.1", "localhost", "::1"):
        if h and h not in current:
            current.append(h)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(current)


# ---------------------------------------------------------------------------
# ServiceProviderConfig: what the server declares it does not support
# ---------------------------------------------------------------------------

def fetch_spc(url: str, token: str, timeout: float) -> tuple[dict[str, bool], str | None]:
    """Return ({feature: supported}, error) from GET {url}/ServiceProviderConfig."""
    req = urllib.request.Request(
        url.rstrip("/") + "/ServiceProviderConfig",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            body = json.loads(resp.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return {}, f"could not read ServiceProviderConfig: {exc}"
    supported = {}
    for feature in SPC_FEATURES:
        value = body.get(feature) if isinstance(body, dict) else None
        if isinstance(value, dict) and isinstance(value.get("supported"), bool):
            supported[feature] = value["supported"]
    return supported, None


ALLOWED_SKIPS: set[str] = set()  # filled from --allow-skip


def classify_skip(feature: str | None, spc: dict[str, bool], resource_types_declared: bool = False) -> dict[str, Any]:
    """Tell whether a skip is justified by what the server declares (or by --allow-skip)."""
    if feature and feature in ALLOWED_SKIPS:
        return {"feature": feature, "declared_by": "allow-list", "expected": True}
    if feature in SPC_FEATURES:
        unsupported = spc.get(feature) is False
        return {
            "feature": feature,
            "declared_by": "ServiceProviderConfig" if unsupported else None,
            "expected": unsupported,
        }
    if resource_types_declared:
        return {"feature": feature, "declared_by": "ResourceTypes", "expected": True}
    return {"feature": feature, "declared_by": None, "expected": False}


# ---------------------------------------------------------------------------
# scim2-tester (Python API: scim2_tester.check_server)
# ---------------------------------------------------------------------------

def _tester_feature(reason: str) -> str | None:
    r = reason.lower()
    if "patch" in r and "not supported" in r:
        return "patch"
    if "/.search" in r:
        return "root-search"
    if "tag" in r:
        return "tag-filter"
    if "no suitable attributes" in r or "no addable" in r or "no removable" in r or "no replaceable" in r:
        return "schema-attributes"
    return None


def _tester_name(result: Any, seen: dict[str, int]) -> str:
    base = result.title or "unnamed"
    if result.resource_type:
        base = f"{result.resource_type}:{base}"
    reason = result.reason or ""
    detail = None
    m = re.search(r"attribute '([^']+)'", reason)
    if m:
        detail = m.group(1)
    else:
        m = re.match(r"(GET|POST|PUT|PATCH|DELETE) /", reason)
        if m and (result.title or "").endswith("endpoint_methods"):
            detail = m.group(1)
        else:
            m = re.search(r"(?:schema|ResourceType) '?([^' ]+)'? ", reason)
            if m and result.title in ("access_schema_by_id", "resource_types_schema_validation"):
                detail = m.group(1)
    if detail:
        base = f"{base}[{detail}]"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def run_scim2_tester(url: str, token: str, spc: dict[str, bool], timeout: float, verbose: bool) -> dict[str, Any]:
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    out: dict[str, Any] = {
        "name": "scim2-tester",
        "version": _version("scim2-tester"),
        "versions": {d: _version(d) for d in ("scim2-tester", "scim2-client", "scim2-models", "httpx2")},
        "passed": [], "failed": [], "skipped": [], "warnings": [],
    }
    http = httpx2.Client(
        base_url=url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
        timeout=timeout,
        trust_env=False,
    )
    try:
        client = SyncSCIMClient(http)
        results = check_server(client, raise_exceptions=False)
    except Exception as exc:  # the orchestrator itself crashed
        out["failed"].append({"name": "check_server", "reason": f"crashed: {exc!r}",
                              "trace": traceback.format_exc() if verbose else None})
        return out
    finally:
        http.close()

    seen: dict[str, int] = {}
    ok = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
    for r in results:
        name = _tester_name(r, seen)
        reason = r.reason or ""
        if r.status in ok:
            out["passed"].append(name)
        elif r.status == Status.DEVIATION:
            out["warnings"].append({"name": name, "reason": reason, "status": r.status.name})
        elif r.status == Status.SKIPPED:
            out["skipped"].append({"name": name, "reason": reason, **classify_skip(_tester_feature(reason), spc)})
        else:  # ERROR, CRITICAL
            entry = {"name": name, "reason": reason, "status": r.status.name}
            if verbose and r.data is not None:
                entry["data"] = _jsonable(r.data)
            out["failed"].append(entry)
    return out


def _jsonable(data: Any) -> Any:
    if hasattr(data, "model_dump"):
        try:
            return data.model_dump(mode="json")
        except Exception:
            pass
    if hasattr(data, "status_code") and hasattr(data, "text"):
        return {"status_code": data.status_code, "body": data.text[:2000]}
    try:
        json.dumps(data)
        return data
    except (TypeError, ValueError):
        return repr(data)[:2000]


# ---------------------------------------------------------------------------
# scim-sanity (Python API: scim_sanity.probe.runner.run_probe_api, strict mode)
# ---------------------------------------------------------------------------

# Check names (prefix) that exercise PATCH: reclassified as skips if the server
# declares patch unsupported (scim-sanity PATCHes unconditionally).
_SANITY_PATCH = re.compile(r"^(PATCH |GET /\w+/\{id\} after PATCH)")


def run_scim_sanity(url: str, token: str, spc: dict[str, bool], timeout: float, verbose: bool) -> dict[str, Any]:
    from scim_sanity.probe.runner import run_probe_api

    out: dict[str, Any] = {
        "name": "scim-sanity",
        "version": _version("scim-sanity"),
        "mode": "strict",
        "passed": [], "failed": [], "skipped": [], "warnings": [],
    }
    try:
        report = run_probe_api(url.rstrip("/"), token=token, strict=True, timeout=int(timeout))
    except Exception as exc:
        out["failed"].append({"name": "run_probe_api", "reason": f"crashed: {exc!r}",
                              "trace": traceback.format_exc() if verbose else None})
        return out

    seen: dict[str, int] = {}
    for r in report.get("results", []):
        base = f"{r.get('phase', '')} :: {r['name']}".strip(" :")
        status = r.get("status")
        msg = r.get("message", "")
        if status == "warn":
            out["warnings"].append({"name": base, "reason": msg})
            continue
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        if status == "pass":
            out["passed"].append(name)
        elif status == "skip":
            agent = "Agent" in r["name"]
            feature = "agent-extension" if agent else None
            out["skipped"].append({"name": name, "reason": msg,
                                   **classify_skip(feature, spc, resource_types_declared=agent)})
        elif spc.get("patch") is False and _SANITY_PATCH.match(r["name"]):
            out["skipped"].append({"name": name, "reason": f"reclassified failure ({status}): {msg}",
                                   "reclassified": True, **classify_skip("patch", spc)})
        else:  # fail, error
            out["failed"].append({"name": name, "reason": msg, "status": status})
    return out


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def summarize(tool: dict[str, Any]) -> dict[str, int]:
    return {
        "passed": len(tool["passed"]),
        "failed": len(tool["failed"]),
        "skipped": len(tool["skipped"]),
        "unexpected_skipped": sum(1 for s in tool["skipped"] if not s.get("expected")),
        "warnings": len(tool.get("warnings", [])),
    }


def print_human(report: dict[str, Any]) -> None:
    for tool in report["tools"]:
        s = tool["summary"]
        print(f"== {tool['name']} {tool['version']}: {s['passed']} passed, {s['failed']} failed, "
              f"{s['skipped']} skipped ({s['unexpected_skipped']} not declared unsupported), "
              f"{s['warnings']} warnings")
        for f in tool["failed"]:
            print(f"  FAIL  {f['name']}: {f['reason']}")
        for sk in tool["skipped"]:
            tag = "declared" if sk.get("expected") else "UNDECLARED"
            print(f"  SKIP  {sk['name']} [{sk.get('feature')}; {tag}]: {sk['reason']}")
        for w in tool.get("warnings", []):
            print(f"  WARN  {w['name']}: {w['reason']}")
    t = report["totals"]
    print(f"conformance: {t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="SCIM base URL, e.g. http://127.0.0.1:3000/directory/<id>/scim/v2")
    p.add_argument("--token", help="bearer token (or set CONFORMANCE_TOKEN)")
    p.add_argument("--tool", choices=(*TOOLS, "all"), default="all")
    p.add_argument("--json-out", help="write the machine-readable report here")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    p.add_argument("--verbose", action="store_true", help="include debugging data of failures in the JSON")
    p.add_argument("--fail-on-warnings", action="store_true",
                   help="count warnings (SHOULD deviations) as failures for the exit code")
    p.add_argument("--fail-on-unexpected-skips", action="store_true",
                   help="exit 1 when a check was skipped for a feature the ServiceProviderConfig does not declare unsupported")
    p.add_argument("--allow-skip", action="append", default=[], metavar="FEATURE",
                   help="treat skips of FEATURE as expected although the ServiceProviderConfig cannot "
                        "declare it (e.g. root-search); repeatable")
    a = p.parse_args(argv)
    ALLOWED_SKIPS.update(a.allow_skip)

    token = a.token or os.environ.get("CONFORMANCE_TOKEN")
    if not token:
        p.error("--token or CONFORMANCE_TOKEN is required")
    redact = Redactor(token)
    _no_proxy_for(a.url)

    spc, spc_error = fetch_spc(a.url, token, a.timeout)
    report: dict[str, Any] = {
        "url": a.url,
        "service_provider_config": {"supported": spc, "error": spc_error},
        "tools": [],
    }
    runners = {"scim2-tester": run_scim2_tester, "scim-sanity": run_scim_sanity}
    for name in TOOLS if a.tool == "all" else (a.tool,):
        tool = runners[name](a.url, token, spc, a.timeout, a.verbose)
        tool["summary"] = summarize(tool)
        report["tools"].append(tool)

    report["totals"] = {k: sum(t["summary"][k] for t in report["tools"])
                        for k in ("passed", "failed", "skipped", "unexpected_skipped", "warnings")}
    report = redact(report)

    if a.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(a.json_out)), exist_ok=True)
        with open(a.json_out, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=lambda o: redact(repr(o)))
            fh.write("\n")
    print_human(report)

    t = report["totals"]
    bad = t["failed"] > 0
    bad |= a.fail_on_warnings and t["warnings"] > 0
    bad |= a.fail_on_unexpected_skips and t["unexpected_skipped"] > 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
