# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline validation of Kubernetes manifests, on the controller (the manifest_validate action).

Built-in kinds are checked against the Kubernetes OpenAPI schemas bundled with
the kubernetes-validate package; custom resources against JSON schemas named
``<kind>-<group>-<version>.json`` found in the given schema directories.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

try:
    import jsonschema

    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = exc

try:
    from kubernetes_validate import utils as kubernetes_validate_utils

    HAS_KUBERNETES_VALIDATE = True
    KUBERNETES_VALIDATE_IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_KUBERNETES_VALIDATE = False
    KUBERNETES_VALIDATE_IMPORT_ERROR = exc

MAX_MESSAGE = 300
UNKNOWN_KINDS = ("fail", "warn", "ignore")


def missing_libraries() -> list[tuple[str, ImportError | None]]:
    """The libraries validation needs that the controller's Python cannot import, with the import errors."""
    missing = []
    if not HAS_JSONSCHEMA:
        missing.append(("jsonschema", JSONSCHEMA_IMPORT_ERROR))
    if not HAS_KUBERNETES_VALIDATE:
        missing.append(("kubernetes-validate", KUBERNETES_VALIDATE_IMPORT_ERROR))
    return missing


def schema_key(api_version: str, kind: str) -> str:
    """Return the file stem a custom resource schema is stored under."""
    group, _slash, version = api_version.rpartition("/")
    return "{}-{}-{}".format(kind.lower(), group or "core", version)


def load_schemas(schema_dirs: Iterable[str]) -> dict[str, Any]:
    """Read every ``*.json`` schema from the directories, later directories winning."""
    schemas: dict[str, Any] = {}
    for directory in schema_dirs:
        for name in sorted(os.listdir(directory)):
            if name.endswith(".json"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    schemas[name[: -len(".json")]] = json.load(handle)
    return schemas


def describe(document: object, index: int) -> str:
    """Name a manifest in messages: Kind namespace/name, or its position."""
    if not isinstance(document, dict):
        return f"document {index}"
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    name = metadata.get("name", "?")
    if metadata.get("namespace"):
        name = "{}/{}".format(metadata["namespace"], name)
    return "{} {}".format(document.get("kind", "?"), name)


def _location(error: Any) -> str:
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


def _message(error: Any) -> str:
    text = str(error.message)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "..."
    return f"{_location(error)}: {text}"


def _check_custom(document: Mapping[str, Any], schema: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda err: list(err.absolute_path))
    return [_message(err) for err in errors]


def _check_builtin(document: Mapping[str, Any], kubernetes_version: str, strict: bool) -> list[str]:
    try:
        kubernetes_validate_utils.validate(document, kubernetes_version, strict=strict)
    except kubernetes_validate_utils.ValidationError as err:
        return [_message(err)]
    return []


def validate_manifests(
    documents: Sequence[object],
    kubernetes_version: str,
    schemas: Mapping[str, Any],
    strict: bool = True,
    unknown_kinds: str = "fail",
) -> tuple[list[str], list[str]]:
    """Validate documents; return (errors, warnings), both lists of strings."""
    errors: list[str] = []
    warnings: list[str] = []
    for index, document in enumerate(documents):
        label = describe(document, index)
        if not isinstance(document, dict) or not document.get("apiVersion") or not document.get("kind"):
            errors.append(f"{label}: every manifest needs apiVersion and kind")
            continue
        key = schema_key(str(document["apiVersion"]), str(document["kind"]))
        if key in schemas:
            problems = _check_custom(document, schemas[key])
        else:
            try:
                problems = _check_builtin(document, kubernetes_version, strict)
            except kubernetes_validate_utils.SchemaNotFoundError:
                note = "{}: no schema for {} {} (add {}.json to a schema directory)".format(
                    label,
                    document["apiVersion"],
                    document["kind"],
                    key,
                )
                if unknown_kinds == "fail":
                    errors.append(note)
                elif unknown_kinds == "warn":
                    warnings.append(note)
                continue
            except kubernetes_validate_utils.VersionNotSupportedError:
                errors.append(f"Kubernetes {kubernetes_version} is not supported by the installed kubernetes-validate")
                break
        errors.extend(f"{label}: {problem}" for problem in problems)
    return errors, warnings
