# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side printing: a `meta.k8s.io/v1` Table for a GET with `Accept: application/json;as=Table;
v=v1;g=meta.k8s.io`, which `kubectl get` asks for to print its columns
(https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables).

The columns are those kubectl shows for the kind (kubectl_printers.COLUMNS; the WIDE ones with priority 1,
shown by `-o wide`); other kinds get Name and Age, as custom resources without printer columns do.
Each row carries its object as `PartialObjectMetadata`, or whole with `includeObject=Object`.
"""

from k3s_double import kubectl_printers


def wants_table(accept):
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in (accept or "").split(","))


def _row_object(obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(kind, objects, resource_version, include="Metadata"):
    base = kubectl_printers.columns(kind, False)
    wide = kubectl_printers.columns(kind, True)[len(base) :]
    definitions = [
        {"name": name, "type": "string", "format": "name" if name == "NAME" else "", "description": "", "priority": p}
        for p, columns in ((0, base), (1, wide))
        for name, _cell in columns
    ]
    rows = []
    for obj in objects:
        row = {"cells": [cell(obj) for _name, cell in base + wide]}
        included = _row_object(obj, include)
        if included is not None:
            row["object"] = included
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": definitions,
        "rows": rows,
    }
