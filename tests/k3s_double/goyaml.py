# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""YAML in the style Kubernetes tools print it (sorted keys, double quotes, indentless lists)."""

import json
import re

_SPECIAL_START = set("-?:,[]{}#&*!|>'\"%@`")
_RESERVED = {
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
}
_NUMBER = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F_]+$|^0o?[0-7_]+$")
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d?-\d\d?([Tt ].*)?$")


def _needs_quotes(text):
    return (
        text in _RESERVED
        or bool(_NUMBER.match(text))
        or bool(_SPECIAL_FLOAT.match(text))
        or bool(_TIMESTAMP.match(text))
        or text[0] in _SPECIAL_START
        or text[0].isspace()
        or text[-1].isspace()
        or ": " in text
        or " #" in text
        or text.endswith(":")
        or any(ord(c) < 32 for c in text)
    )


def _scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if _needs_quotes(text) else text


def _block(text, indent):
    chomp = "" if text.endswith("\n") else "-"
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    pad = " " * indent
    return "|" + chomp + "\n" + "\n".join((pad + line) if line else "" for line in lines)


def _is_block(value):
    return isinstance(value, str) and "\n" in value and not any(ord(c) < 32 and c != "\n" for c in value)


def _emit_item(item, indent, lines):
    pad = " " * indent
    if isinstance(item, dict) and item:
        keys = sorted(item)
        first = True
        for key in keys:
            sub = []
            _emit_mapping_entry(key, item[key], indent + 2, sub)
            if first:
                sub[0] = pad + "- " + sub[0][indent + 2 :]
                first = False
            lines.extend(sub)
        return
    if isinstance(item, list) and item:
        sub = []
        for inner in item:
            _emit_item(inner, indent + 2, sub)
        sub[0] = pad + "- " + sub[0][indent + 2 :]
        lines.extend(sub)
        return
    sub = []
    _emit_value(item, indent + 2, sub)
    lines.append(pad + "- " + sub[0])
    lines.extend(sub[1:])


def _emit_value(value, indent, lines):
    if _is_block(value):
        lines.extend(_block(value, indent).split("\n"))
    elif isinstance(value, dict) and not value:
        lines.append("{}")
    elif isinstance(value, list) and not value:
        lines.append("[]")
    else:
        lines.append(_scalar(value))


def _emit_mapping_entry(key, value, indent, lines):
    pad = " " * indent
    label = _scalar(key) if isinstance(key, str) else str(key)
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{label}:")
        for sub_key in sorted(value):
            _emit_mapping_entry(sub_key, value[sub_key], indent + 2, lines)
    elif isinstance(value, list) and value:
        lines.append(f"{pad}{label}:")
        for item in value:
            _emit_item(item, indent, lines)
    else:
        sub = []
        _emit_value(value, indent + 2, sub)
        lines.append(f"{pad}{label}: {sub[0]}")
        lines.extend(sub[1:])


def dump(value):
    """The YAML text of a JSON-like value, ending with a newline."""
    lines = []
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _emit_mapping_entry(key, value[key], 0, lines)
    elif isinstance(value, list) and value:
        for item in value:
            _emit_item(item, 0, lines)
    else:
        _emit_value(value, 0, lines)
    return "\n".join(lines) + "\n"
