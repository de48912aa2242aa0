# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), for the few
kinds kubectl sends that way to the double: `kubectl create namespace` (a Namespace) and an Eviction.

The encoding (https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding): the magic
`k8s\\x00`, then a `runtime.Unknown` message (typeMeta = 1 with apiVersion = 1 and kind = 2, raw = 2) whose
`raw` is the object's message. Field numbers are those of the kinds' `generated.proto` files in
k8s.io/api and k8s.io/apimachinery. Other kinds are answered with 415 (`Unsupported`).
"""

MAGIC = b"k8s\x00"


class Unsupported(Exception):
    """A body the double cannot decode."""


def _varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise Unsupported("truncated protobuf varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """[(field number, value)] of a message: ints for varints, bytes for length-delimited fields."""
    result = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise Unsupported(f"protobuf wire type {wire} is not supported")
        result.append((number, value))
    return result


def _text(value):
    return value.decode("utf-8")


def _map(entries):
    result = {}
    for entry in entries:
        parts = dict(fields(entry))
        result[_text(parts.get(1, b""))] = _text(parts.get(2, b""))
    return result


def object_meta(data):
    """ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14."""
    meta = {}
    labels, annotations, finalizers = [], [], []
    for number, value in fields(data):
        if number in (1, 2, 3) and value:
            meta[{1: "name", 2: "generateName", 3: "namespace"}[number]] = _text(value)
        elif number == 11:
            labels.append(value)
        elif number == 12:
            annotations.append(value)
        elif number == 14:
            finalizers.append(_text(value))
    if labels:
        meta["labels"] = _map(labels)
    if annotations:
        meta["annotations"] = _map(annotations)
    if finalizers:
        meta["finalizers"] = finalizers
    return meta


def _namespace(raw):
    obj = {"metadata": {}}
    for number, value in fields(raw):
        if number == 1:
            obj["metadata"] = object_meta(value)
        elif number == 2:
            finalizers = [_text(v) for n, v in fields(value) if n == 1]
            obj["spec"] = {"finalizers": finalizers} if finalizers else {}
    return obj


def _eviction(raw):
    obj = {"metadata": {}}
    for number, value in fields(raw):
        if number == 1:
            obj["metadata"] = object_meta(value)
        elif number == 2:
            dry_run = [_text(v) for n, v in fields(value) if n == 5]
            obj["deleteOptions"] = {"dryRun": dry_run} if dry_run else {}
    return obj


DECODERS = {("v1", "Namespace"): _namespace, ("policy/v1", "Eviction"): _eviction}


def decode(body):
    """The object a protobuf request body holds, as the JSON form; Unsupported for other kinds."""
    if not body.startswith(MAGIC):
        raise Unsupported("the protobuf body does not start with the Kubernetes magic number")
    api_version = kind = ""
    raw = b""
    for number, value in fields(body[len(MAGIC) :]):
        if number == 1:
            type_meta = dict(fields(value))
            api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
        elif number == 2:
            raw = value
    decoder = DECODERS.get((api_version, kind))
    if decoder is None:
        raise Unsupported(f"{kind} {api_version} in protobuf is not supported by the k3s test double")
    obj = decoder(raw)
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj
