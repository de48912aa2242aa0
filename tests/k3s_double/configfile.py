# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k3s configuration file: config.yaml plus config.yaml.d/*.yaml, turned into flags.

Keys are flag names without dashes; a list repeats the flag; a key ending in `+` appends to the value of
the files read before it. Files in config.yaml.d are read in lexical order after config.yaml. Keys that
are not flags of the command are skipped with a warning. The resulting flags go before the ones given on
the command line, so the command line wins.
"""

import os
import re

import yaml

from k3s_double import logs

_FLAG_NAME = re.compile(r"^-+([^=]*)=")


class ConfigError(Exception):
    pass


def find_config_file(args, default):
    """Return (path, explicitly_set) as the real CLI finds it: K3S_CONFIG_FILE, then -c/--config."""
    if os.environ.get("K3S_CONFIG_FILE"):
        return os.environ["K3S_CONFIG_FILE"], True
    for index, arg in enumerate(args):
        for name in ("--config", "-c"):
            if arg == name:
                return (args[index + 1], True) if index + 1 < len(args) else ("", False)
            if arg.startswith(name + "="):
                return arg[len(name) + 1 :], True
    return default, False


def _drop_in_files(base):
    directory = base + ".d"
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    return [
        os.path.join(directory, name)
        for name in names
        if name.lower().endswith((".yaml", ".yml")) and not os.path.isdir(os.path.join(directory, name))
    ]


def _to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_list(value):
    if isinstance(value, list):
        return value
    text = _to_string(value).strip()
    return [text] if text else []


def read_config_args(path, explicit):
    """Flags from the config file and its drop-ins, in the order k3s builds them."""
    files = _drop_in_files(path)
    if os.path.exists(path):
        files = [path, *files]
    elif explicit and not files:
        raise ConfigError(f"open {path}: no such file or directory")
    order, values = [], {}
    for name in files:
        with open(name, encoding="utf-8") as handle:
            try:
                data = yaml.safe_load(handle) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"failed to parse {name}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: the configuration must be a YAML mapping of flag names to values")
        for raw_key, value in data.items():
            key = _to_string(raw_key)
            append = key.endswith("+")
            key = key.rstrip("+")
            if key not in values:
                order.append(key)
            if append and key in values:
                values[key] = _to_list(values[key]) + _to_list(value)
            else:
                values[key] = value
    args = []
    for key in order:
        prefix = "-" if len(key) == 1 else "--"
        value = values[key]
        if isinstance(value, list):
            args.extend(f"{prefix}{key}={_to_string(item)}" for item in value)
        else:
            args.append(f"{prefix}{key}={_to_string(value)}")
    return args


def strip_unknown(args, flags):
    known = {name for flag in flags for name in flag.names}
    kept = []
    for arg in args:
        match = _FLAG_NAME.match(arg)
        name = match.group(1) if match else arg
        if name in known:
            kept.append(arg)
        else:
            logs.warning(f"Unknown flag {arg.split('=')[0]} found in config.yaml, skipping")
    return kept


def merged_args(args, flags):
    """The command's arguments with the config file's flags put in front of them."""
    default = next(flag.default for flag in flags if flag.name == "config")
    path, explicit = find_config_file(args, default)
    if not path:
        return list(args)
    return strip_unknown(read_config_args(path, explicit), flags) + list(args)
