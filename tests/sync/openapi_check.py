"""Checking recorded HTTP exchanges against central_api/openapi.yaml with jsonschema."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from central_api import OPENAPI_PATH

BASE = "urn:kiosk-openapi"


@cache
def document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@cache
def _absolute_document() -> tuple[dict[str, Any], Registry]:
    # Local "#/components/..." references, made absolute so sub-schemas validate on their own.
    text = json.dumps(document()).replace('"#/components/', f'"{BASE}#/components/')
    doc = json.loads(text)
    registry = Registry().with_resource(
        BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
    return doc, registry


def _deref(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = doc
        for part in obj["$ref"].split("#", 1)[1].strip("/").split("/"):
            node = node[part]
        obj = node
    return obj


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The documented path template and operation object for a concrete request."""
    doc, _ = _absolute_document()
    for template, item in doc["paths"].items():
        pattern = re.sub(r"\\\{[a-z_0-9]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _validate(schema: dict[str, Any], value: Any, what: str) -> None:
    _, registry = _absolute_document()
    errors = sorted(Draft202012Validator(schema, registry=registry,
                                         format_checker=FormatChecker()).iter_errors(value),
                    key=str)
    assert not errors, f"{what}: {errors[0].message} at {list(errors[0].absolute_path)}"


def _documented_part(ex: dict[str, Any]) -> Any:
    """The request less the batch items the server answered ``rejected`` /
    ``invalid_donation``: the document says a malformed item is refused on its own (so one
    bad row cannot hold back a whole batch), which is the one way such an item gets a 200."""
    request, answer = ex["request"], ex.get("response")
    if not (ex["path"].endswith("donations:batch") and ex["status"] == 200
            and isinstance(answer, dict) and isinstance(request, dict)):
        return request
    kept = [item for item, result in zip(request["donations"], answer["results"], strict=True)
            if (result.get("error") or {}).get("code") != "invalid_donation"]
    return {**request, "donations": kept}


def check_exchange(ex: dict[str, Any]) -> None:
    """One recorded request/answer against the document (faulted answers are skipped: they
    are deliberately outside the contract)."""
    if ex.get("fault") and ex["fault"] not in ("status", "slow"):
        return
    doc, _ = _absolute_document()
    template, op = operation(ex["method"], ex["path"])
    what = f"{ex['method']} {template}"
    body = op.get("requestBody")
    if body and ex["status"] not in (400, 413) and ex["request"] is not None:
        schema = _deref(doc, body)["content"]["application/json"]["schema"]
        _validate(schema, _documented_part(ex), f"{what} request")
    status = str(ex["status"])
    assert status in op["responses"], f"{what}: status {status} is not documented"
    response = _deref(doc, op["responses"][status])
    for header, spec in response.get("headers", {}).items():
        if spec.get("required"):
            assert header in ex["headers"], f"{what} {status}: header {header} missing"
    content = response.get("content", {})
    if "application/json" in content:
        assert ex["content_type"] == "application/json", f"{what} {status}: not JSON"
        _validate(content["application/json"]["schema"], ex["response"],
                  f"{what} {status} response")
    elif content:
        assert ex["content_type"].split(";")[0] in content, f"{what} {status}: content type"
