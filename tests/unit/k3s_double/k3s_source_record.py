# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the record of k3s behaviour that the test double is checked against (k3s_source_record.yaml).

The record is taken from k3s's Go source at pinned commits: the flags of `k3s server` and `k3s agent`
(name, aliases, kind, default, environment variables, hidden) with the line that defines each, and the
lines that fix the token format, the kubeconfig layout, the config.yaml merge rules and the
ETCDSnapshotFile fields. It reads a directory holding the files named in SOURCES, as they are at the
commits named there, and writes the YAML record; nothing of the Go source is kept but these facts.

    cd tests/unit/k3s_double && python3 k3s_source_record.py --src /path/to/k3s-files > k3s_source_record.yaml
"""

import argparse
import os
import re
import sys

import yaml

REPO = "k3s-io/k3s"
# file in --src: (path in the repository, commit)
SOURCES = {
    "server.go": ("pkg/cli/cmds/server.go", "005499a940eafe99977bcabd6991a888a4cb6642"),
    "agent.go": ("pkg/cli/cmds/agent.go", "00cc29ba2779b5a8ac2a76e234080d8ab685a8ad"),
    "token.go": ("pkg/clientaccess/token.go", "db5fc9891189708e04acc08990ebbc1eb4bf1183"),
    "kubeconfig.go": ("pkg/clientaccess/kubeconfig.go", "777e294bcbeec6e813fa75671d3b06a88679036d"),
    "parser.go": ("pkg/configfilearg/parser.go", "f646604010affc6a1d3233a8a0870bca46bf80cf"),
    "snapshot_types.go": ("pkg/etcd/snapshot/types.go", "0fa4c4e5d86802c535bf0825e9d133aaf71e759a"),
}

# Flags that the two command lists take from files outside SOURCES, by Go variable name.
REFERENCED = {
    "ConfigFlag": {
        "name": "config",
        "aliases": ["c"],
        "kind": "str",
        "default": "/etc/rancher/k3s/config.yaml",
        "env": ["K3S_CONFIG_FILE"],
        "source": "pkg/cli/cmds/config.go; default and variable: docs.k3s.io/installation/configuration",
    },
    "DebugFlag": {"name": "debug", "kind": "bool", "env": ["K3S_DEBUG"], "source": "docs.k3s.io/cli/server"},
    "VLevel": {"name": "v", "kind": "int", "default": 0, "source": "pkg/cli/cmds/log.go@e1dc3451"},
    "VModule": {"name": "vmodule", "kind": "str", "source": "pkg/cli/cmds/log.go@e1dc3451"},
    "LogFile": {"name": "log", "aliases": ["l"], "kind": "str", "source": "pkg/cli/cmds/log.go@e1dc3451"},
    "AlsoLogToStderr": {"name": "alsologtostderr", "kind": "bool", "source": "pkg/cli/cmds/log.go@e1dc3451"},
    "DefaultRuntimeFlag": {"name": "default-runtime", "kind": "str", "source": "docs.k3s.io/cli/agent"},
    "ImageServiceEndpointFlag": {"name": "image-service-endpoint", "kind": "str", "source": "docs.k3s.io/cli/agent"},
    "DisableDefaultRegistryEndpointFlag": {
        "name": "disable-default-registry-endpoint",
        "kind": "bool",
        "source": "docs.k3s.io/cli/agent",
    },
    "PreferBundledBin": {"name": "prefer-bundled-bin", "kind": "bool", "source": "docs.k3s.io/cli/agent"},
}

KINDS = {
    "StringFlag": "str",
    "BoolFlag": "bool",
    "BoolTFlag": "boolt",
    "IntFlag": "int",
    "StringSliceFlag": "slice",
    "DurationFlag": "duration",
}
CONSTANTS = {"defaultSnapshotRentention": 5, "version.Program": "k3s", "version.ProgramUpper": "K3S"}

# Anchors: (key, file, text on the line) for the facts that are not flags.
ANCHORS = [
    ("token.prefix", "token.go", 'tokenPrefix  = "K10"'),
    ("token.format", "token.go", 'tokenFormat  = "%s%s::%s:%s"'),
    ("token.ca_hash_length", "token.go", "caHashLength = sha256.Size * 2"),
    ("token.ca_hash", "token.go", "digest := sha256.Sum256(cacerts)"),
    ("token.bare_secret", "token.go", "token = fmt.Sprintf(tokenFormat, tokenPrefix, "),
    ("token.hash_length_error", "token.go", 'errors.New("invalid token CA hash length")'),
    ("token.format_error", "token.go", 'errors.New("invalid token format")'),
    ("token.empty_error", "token.go", 'errors.New("token must not be empty")'),
    ("kubeconfig.context", "kubeconfig.go", 'context.AuthInfo = "default"'),
    ("kubeconfig.names", "kubeconfig.go", 'config.Clusters["default"] = cluster'),
    ("kubeconfig.current", "kubeconfig.go", 'config.CurrentContext = "default"'),
    ("kubeconfig.ca_data", "kubeconfig.go", "cluster.CertificateAuthorityData = serverCA"),
    ("kubeconfig.client_data", "kubeconfig.go", "authInfo.ClientCertificateData = clientCert"),
    ("config.env_first", "parser.go", "if envVal := os.Getenv(p.EnvName)"),
    ("config.dropins", "parser.go", 'util.HasSuffixI(file.Name(), ".yaml", ".yml")'),
    ("config.main_file_first", "parser.go", "files = append([]string{file}, files...)"),
    ("config.append_suffix", "parser.go", 'isAppend := strings.HasSuffix(k, "+")'),
    ("config.append", "parser.go", "values[k] = append(toSlice(oldValue), toSlice(v)...)"),
    ("config.replace", "parser.go", "values[k] = v"),
    ("config.short_prefix", "parser.go", "if len(k) == 1 {"),
    ("config.list_repeats", "parser.go", 'result = append(result, prefix+k+"="+convert.ToString(v))'),
    ("config.before_cli", "parser.go", "return append(prefix, append(values, suffix...)...), nil"),
    ("config.unknown", "parser.go", 'logrus.Warnf("Unknown flag %s found in config.yaml, skipping'),
    ("config.missing_default_ok", "parser.go", "if os.IsNotExist(err) {"),
    ("snapshot.label_storage_node", "snapshot_types.go", "LabelStorageNode    ="),
    ("snapshot.annotation_token_hash", "snapshot_types.go", "AnnotationTokenHash ="),
    ("snapshot.name", "snapshot_types.go", 'return "local-" + name + "-" + hex.EncodeToString(digest[0:])[0:6]'),
    ("snapshot.s3_name", "snapshot_types.go", 'return "s3-" + name + "-" + hex.EncodeToString(digest[0:])[0:6]'),
    ("snapshot.spec_snapshot_name", "snapshot_types.go", "esf.Spec.SnapshotName = sf.Name"),
    ("snapshot.spec_location", "snapshot_types.go", "esf.Spec.Location = sf.Location"),
    ("snapshot.status_creation_time", "snapshot_types.go", "esf.Status.CreationTime = sf.CreatedAt"),
    ("snapshot.status_ready", "snapshot_types.go", "esf.Status.ReadyToUse = ptr.To("),
    ("snapshot.status_size", "snapshot_types.go", "esf.Status.Size = resource.NewQuantity("),
    ("snapshot.spec_node_name", "snapshot_types.go", "esf.Spec.NodeName = sf.NodeName"),
    ("snapshot.spec_s3", "snapshot_types.go", "esf.Spec.S3 = &k3s.ETCDSnapshotS3{"),
    ("snapshot.s3_prefix", "snapshot_types.go", "Prefix:        sf.S3.Folder,"),
]

# The facts themselves, each checked against the double by test_double_contract.py.
FACTS = {
    "token": {
        "prefix": "K10",
        "format": "K10<ca hash>::<user>:<password>",
        "ca_hash": "hex sha256 of the CA bundle served by /cacerts",
        "ca_hash_length": 64,
        "bare_secret": "a token without the K10 prefix is the password, with empty hash and user",
        "errors": ["token must not be empty", "invalid token CA hash length", "invalid token format"],
    },
    "kubeconfig": {
        "cluster": "default",
        "user": "default",
        "context": "default",
        "current-context": "default",
        "cluster_keys": ["certificate-authority-data", "server"],
        "user_keys": ["client-certificate-data", "client-key-data"],
    },
    "config": {
        "order": "K3S_CONFIG_FILE, else --config/-c, else the default; then <file>.d/*.yaml|*.yml in lexical order",
        "append_suffix": "+",
        "single_letter_prefix": "-",
        "lists_repeat_the_flag": True,
        "config_flags_before_command_line": True,
        "unknown_key": "Unknown flag --<key> found in config.yaml, skipping",
    },
    "etcd_snapshot_file": {
        "kind": "ETCDSnapshotFile",
        "apiVersion": "k3s.cattle.io/v1",
        "spec": ["snapshotName", "nodeName", "location", "metadata", "s3"],
        "s3": ["endpoint", "endpointCA", "skipSSLVerify", "bucket", "region", "prefix", "insecure"],
        "status": ["size", "creationTime", "readyToUse", "error"],
        "label_storage_node": "etcd.k3s.cattle.io/snapshot-storage-node",
        "annotation_token_hash": "etcd.k3s.cattle.io/snapshot-token-hash",
        "name": "local-<lowercase file name>-<first 6 hex of sha256(node name + location)>; s3- for S3",
    },
}

_LITERAL = re.compile(r"^\s*(?:(\w+)\s*=\s*)?&?cli\.(\w+Flag)\{\s*$")
_FIELD = re.compile(r"^\s*(Name|EnvVar|Value|Hidden):\s*(.+?),?\s*$")
_REF = re.compile(r"^\s*&?(\w+),\s*$")


def _value(expr):
    """Python value of a Go expression used as a flag default (string concatenations, numbers, constants)."""
    expr = expr.strip()
    if re.fullmatch(r"-?\d+", expr):
        return int(expr)
    if expr == "5 * time.Minute":
        return "5m0s"
    parts = [part.strip() for part in expr.split("+")]
    if all(p.startswith('"') or p in CONSTANTS for p in parts):
        values = [p[1:-1] if p.startswith('"') else CONSTANTS[p] for p in parts]
        if len(values) == 1:
            return values[0]
        return "".join(str(v) for v in values)
    return {"expr": expr}


def _parse_literal(lines, start):
    """The flag defined by the composite literal that starts at lines[start]; returns (flag, end index)."""
    match = _LITERAL.match(lines[start])
    flag = {"kind": KINDS[match.group(2)]}
    index = start + 1
    while not lines[index].strip().startswith("}"):
        field = _FIELD.match(lines[index])
        if field:
            key, raw = field.groups()
            if key == "Name":
                names = raw.strip('"').split(",")
                flag["name"] = names[0]
                if names[1:]:
                    flag["aliases"] = names[1:]
                flag["line"] = index + 1
            elif key == "EnvVar":
                flag["env"] = [_value(raw)]
            elif key == "Value" and not raw.startswith("&"):
                flag["default"] = _value(raw)
            elif key == "Hidden" and raw == "true":
                flag["hidden"] = True
        index += 1
    return flag, index


def _variables(lines, source):
    """Flags defined as package variables: Go name -> flag."""
    found = {}
    for index, line in enumerate(lines):
        match = _LITERAL.match(line)
        if match and match.group(1):
            flag, _end = _parse_literal(lines, index)
            flag["source"] = source
            found[match.group(1)] = flag
    return found


def _command_flags(lines, start_text, source, variables):
    """The flags of a command, in order, from the list that starts at the line containing start_text."""
    start = next(i for i, line in enumerate(lines) if start_text in line)
    result, index, depth = [], start + 1, 1
    while depth:
        line = lines[index]
        stripped = line.strip()
        if _LITERAL.match(line) and depth == 1:
            flag, end = _parse_literal(lines, index)
            flag["source"] = source
            result.append(flag)
            index = end + 1
            continue
        ref = _REF.match(line)
        if ref and depth == 1:
            name = ref.group(1)
            if name in variables:
                result.append(dict(variables[name]))
            else:
                result.append(dict(REFERENCED[name], referenced_at=f"{source}:{index + 1}"))
        depth += stripped.count("{") - stripped.count("}")
        index += 1
    return result


def _read(src):
    texts = {}
    for name in SOURCES:
        with open(os.path.join(src, name), encoding="utf-8") as handle:
            texts[name] = handle.read().splitlines()
    return texts


def _anchor_lines(src):
    texts = _read(src)
    result = {}
    for key, name, text in ANCHORS:
        lines = [i + 1 for i, line in enumerate(texts[name]) if text in line]
        if not lines:
            raise SystemExit(f"{name}: no line contains {text!r}")
        result[key] = f"{SOURCES[name][0]}:{lines[0]}"
    return result


def record(src):
    read = _read(src)
    agent_vars = _variables(read["agent.go"], SOURCES["agent.go"][0])
    server_vars = dict(agent_vars, **_variables(read["server.go"], SOURCES["server.go"][0]))
    server = _command_flags(read["server.go"], "var ServerFlags = []cli.Flag{", SOURCES["server.go"][0], server_vars)
    agent = _command_flags(read["agent.go"], "Flags: []cli.Flag{", SOURCES["agent.go"][0], agent_vars)
    return {
        "repository": REPO,
        "sources": dict(SOURCES.values()),
        "flags": {"server": server, "agent": agent},
        "facts": FACTS,
        "lines": _anchor_lines(src),
    }


class _Dumper(yaml.SafeDumper):
    """Indented block sequences, as yamllint wants them, and no anchors."""

    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="directory with the k3s files named in SOURCES")
    args = parser.parse_args(argv)
    sys.stdout.write(
        "---\n# Generated by tests/unit/k3s_double/k3s_source_record.py from k3s's source at the commits below.\n"
    )
    sys.stdout.write(yaml.dump(record(args.src), Dumper=_Dumper, sort_keys=False, width=150))
    return 0


if __name__ == "__main__":
    sys.exit(main())
