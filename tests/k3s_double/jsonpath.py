# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubectl's JSONPath templates: `{.items[*].metadata.name}`, `{range .items[*]}{.x}{"\\n"}{end}`,
filters `[?(@.type=="Ready")]`, escaped dots `labels.kubernetes\\.io/hostname`, slices and `..`.
Missing keys print nothing, as with `kubectl get -o jsonpath`.
"""

import json
import re


class JSONPathError(ValueError):
    pass


def _tokens(template):
    """Split a template into ('text', str) and ('expr', str) parts."""
    parts, index = [], 0
    while index < len(template):
        start = template.find("{", index)
        if start < 0:
            parts.append(("text", template[index:]))
            break
        if start > index:
            parts.append(("text", template[index:start]))
        depth, end, quote = 0, start, None
        while end < len(template):
            char = template[end]
            if quote:
                if char == "\\":
                    end += 1
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if end >= len(template):
            raise JSONPathError(f"unclosed action in template {template!r}")
        parts.append(("expr", template[start + 1 : end].strip()))
        index = end + 1
    return parts


def _split_path(expr):
    """Split `.a.b[0]['c'][?(@.x=="y")]..d` into steps."""
    steps, index = [], 0
    if expr.startswith("$"):
        index = 1
    while index < len(expr):
        char = expr[index]
        if expr.startswith("..", index):
            steps.append(("recursive", None))
            index += 2
            continue
        if char == ".":
            index += 1
            continue
        if char == "[":
            depth, end = 0, index
            while end < len(expr):
                if expr[end] == "[":
                    depth += 1
                elif expr[end] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            steps.append(("bracket", expr[index + 1 : end]))
            index = end + 1
            continue
        name = ""
        while index < len(expr) and expr[index] not in ".[":
            if expr[index] == "\\" and index + 1 < len(expr):
                name += expr[index + 1]
                index += 2
                continue
            name += expr[index]
            index += 1
        steps.append(("field", name))
    return steps


_COMPARE = re.compile(r"^\?\((.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)\)$")


def _literal(text):
    text = text.strip()
    if text[:1] in "\"'" and text[-1:] == text[:1]:
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _filter(items, condition):
    match = _COMPARE.match(condition)
    result = []
    for item in items:
        if match:
            left = evaluate(match.group(1).strip().lstrip("@"), item)
            right = _literal(match.group(3))
            op = match.group(2)
            for value in left:
                if isinstance(right, (int, float)) and isinstance(value, str):
                    try:
                        value = float(value)
                    except ValueError:
                        continue
                try:
                    ok = {
                        "==": value == right,
                        "!=": value != right,
                        "<": value < right,
                        ">": value > right,
                        "<=": value <= right,
                        ">=": value >= right,
                    }[op]
                except TypeError:
                    ok = False
                if ok:
                    result.append(item)
                    break
        else:
            path = condition[2:-1].strip().lstrip("@")
            if evaluate(path, item):
                result.append(item)
    return result


def _recurse(value):
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _recurse(child)
    elif isinstance(value, list):
        for child in value:
            yield from _recurse(child)


def _step(values, kind, arg):
    out = []
    for value in values:
        if kind == "recursive":
            out.extend(_recurse(value))
        elif kind == "field":
            if arg == "*":
                if isinstance(value, dict):
                    out.extend(value.values())
                elif isinstance(value, list):
                    out.extend(value)
            elif isinstance(value, dict) and arg in value:
                out.append(value[arg])
        elif arg.startswith("?"):
            out.extend(_filter(value if isinstance(value, list) else [value], arg))
        elif arg == "*":
            out.extend(value if isinstance(value, list) else (value.values() if isinstance(value, dict) else []))
        elif arg[:1] in "\"'":
            for key in (k.strip().strip("\"'") for k in arg.split(",")):
                if isinstance(value, dict) and key in value:
                    out.append(value[key])
        elif ":" in arg and isinstance(value, list):
            parts = [int(p) if p.strip() else None for p in arg.split(":")]
            out.extend(value[slice(*parts)])
        elif isinstance(value, list):
            for part in arg.split(","):
                try:
                    out.append(value[int(part)])
                except (ValueError, IndexError):
                    continue
    return out


def evaluate(expr, data):
    values = [data]
    for kind, arg in _split_path(expr):
        values = _step(values, kind, arg)
    return values


def _format(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _unquote(text):
    text = text.strip()
    if text[:1] in "\"'":
        return text[1:-1].encode().decode("unicode_escape")
    return None


def render(template, data):
    """The text a kubectl -o jsonpath template prints for data."""
    parts = _tokens(template)
    output = _render(parts, 0, data, stop_at_end=False)[0]
    return output


def _render(parts, index, data, stop_at_end):
    output = ""
    while index < len(parts):
        kind, text = parts[index]
        if kind == "text":
            output += text
            index += 1
            continue
        if text == "end":
            if stop_at_end:
                return output, index + 1
            raise JSONPathError("not in range, nothing to end")
        if text.startswith("range "):
            items = evaluate(text[len("range ") :].strip(), data)
            if len(items) == 1 and isinstance(items[0], list):
                items = items[0]
            end_index = index + 1
            body_end = None
            for item in items:
                chunk, body_end = _render(parts, index + 1, item, stop_at_end=True)
                output += chunk
            if body_end is None:
                body_end = _render(parts, index + 1, {}, stop_at_end=True)[1]
            index = body_end if body_end else end_index
            continue
        literal = _unquote(text)
        if literal is not None:
            output += literal
        else:
            output += " ".join(_format(v) for v in evaluate(text, data))
        index += 1
    if stop_at_end:
        raise JSONPathError("range without end")
    return output, index
