# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k3s command line: --version, server, agent, kubectl, etcd-snapshot, check-config."""

import os
import sys

from k3s_double import configfile, flags, logs, version

USAGE = {
    "server": ("Run management server", "k3s server [OPTIONS]"),
    "agent": ("Run node agent", "k3s agent [OPTIONS]"),
    "etcd-snapshot": ("Manage etcd snapshots", "k3s etcd-snapshot command [command options] [arguments...]"),
}
COMMANDS = [
    ("server", "Run management server"),
    ("agent", "Run node agent"),
    ("kubectl", "Run kubectl"),
    ("crictl", "Run crictl (not supported by the test double)"),
    ("ctr", "Run ctr (not supported by the test double)"),
    ("check-config", "Run config check"),
    ("token", "Manage tokens (rotate only)"),
    ("etcd-snapshot", "Manage etcd snapshots"),
    ("secrets-encrypt", "Control secrets encryption (not supported by the test double)"),
    ("certificate", "Manage K3s certificates (rotate only)"),
    ("completion", "Install shell completion script (not supported by the test double)"),
]
NOT_SUPPORTED = {"secrets-encrypt", "completion"}
NO_RUNTIME = {"crictl", "ctr"}


def _app_help():
    lines = [
        "NAME:",
        "   k3s - Kubernetes, but small and simple (homelab.k3s test double: it runs no containers)",
        "",
        "USAGE:",
        "   k3s [global options] command [command options] [arguments...]",
        "",
        "VERSION:",
        f"   {version.VERSION} ({version.COMMIT})",
        "",
        "COMMANDS:",
        *(f"   {name:<16}{text}" for name, text in COMMANDS),
        "",
        "GLOBAL OPTIONS:",
        "   --debug                     (logging) Turn on debug logs [$K3S_DEBUG]",
        "   --data-dir value, -d value  (data) Folder to hold state",
        "   --help, -h                  show help",
        "   --version, -v               print the version",
    ]
    return "\n".join(lines) + "\n"


def _command_help(name, flag_list):
    usage, text = USAGE[name]
    lines = ["NAME:", f"   k3s {name} - {usage}", "", "USAGE:", f"   {text}", "", "OPTIONS:"]
    for flag in flag_list:
        names = ", ".join(
            ("--" if len(n) > 1 else "-") + n + ("" if not flag.takes_value else " value") for n in flag.names
        )
        env = f" [${', $'.join(flag.env)}]" if flag.env else ""
        default = f" (default: {flag.default})" if flag.default not in (None, "", 0) else ""
        lines.append(f"   {names}{default}{env}")
    return "\n".join(lines) + "\n"


def _wants_help(args):
    for arg in args:
        if arg == "--":
            return False
        if arg in ("-h", "--help", "-help"):
            return True
    return False


def _usage_error(name, message, flag_list):
    sys.stdout.write(f"Incorrect Usage: {message}\n\n")
    if name in USAGE:
        sys.stdout.write(_command_help(name, flag_list))
    logs.log("fatal", f"Error: {message}")
    return 1


def _parse(name, args, flag_list, stop_at_positional=False):
    merged = configfile.merged_args(args, flag_list)
    options = flags.parse(merged, flag_list, stop_at_positional)
    logs.set_debug(options["debug"])
    return options, merged


def _server(args):
    from k3s_double import server

    options, merged = _parse("server", args, flags.SERVER)
    if options.args:
        raise logs.Fatal("Error: this command does not take any arguments")
    return server.run(options, merged)


def _agent(args):
    from k3s_double import agent

    options, merged = _parse("agent", args, flags.AGENT)
    if options.args:
        raise logs.Fatal("Error: this command does not take any arguments")
    return agent.run(options, merged)


def _etcd_snapshot(args):
    from k3s_double import etcd_snapshot_cli

    if args and not args[0].startswith("-"):
        sub, rest = args[0], args[1:]
    else:
        sub, rest = "save", args
        logs.warning("etcd-snapshot without a subcommand is deprecated; use 'k3s etcd-snapshot save'")
    if sub not in etcd_snapshot_cli.COMMANDS:
        sys.stderr.write(f"No help topic for '{sub}'\n")
        return 3
    flag_list = flags.ETCD_SNAPSHOT_LIST if sub in ("ls", "list", "l") else flags.ETCD_SNAPSHOT
    if _wants_help(rest):
        sys.stdout.write(_command_help("etcd-snapshot", flag_list))
        return 0
    try:
        options = _parse("etcd-snapshot", rest, flag_list, stop_at_positional=True)[0]
    except flags.UsageError as exc:
        return _usage_error("etcd-snapshot", str(exc), flag_list)
    return etcd_snapshot_cli.COMMANDS[sub](options)


def _check_config(_args):
    sys.stdout.write(
        "Verifying binaries in the homelab.k3s test double:\n"
        "- the k3s test double runs no container runtime and needs no kernel features: nothing to check\n\n"
        "STATUS: pass\n"
    )
    return 0


def _run(args):
    index, debug = 0, False
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in ("-v", "--version", "-version"):
            sys.stdout.write("\n".join(version.version_lines()) + "\n")
            return 0
        if arg in ("-h", "--help", "-help"):
            sys.stdout.write(_app_help())
            return 0
        if arg in ("--debug", "-debug"):
            debug = True
        elif arg in ("--data-dir", "-d", "-data-dir"):
            index += 1
        elif not arg.startswith(("--data-dir=", "-d=")):
            return _usage_error("", f"flag provided but not defined: -{arg.lstrip('-').split('=')[0]}", [])
        index += 1
    logs.set_debug(debug)
    if index >= len(args):
        sys.stdout.write(_app_help())
        return 0
    command, rest = args[index], args[index + 1 :]
    if command == "kubectl":
        from k3s_double import realkubectl

        info = realkubectl.bundled()
        if info is None:
            sys.stderr.write(realkubectl.missing())
            return 1
        return realkubectl.run(rest, info)
    if command == "help":
        sys.stdout.write(_app_help())
        return 0
    if command == "check-config":
        return _check_config(rest)
    if command in NO_RUNTIME:
        raise logs.Fatal(f"Error: k3s {command} is not supported by the k3s test double: it runs no container runtime")
    if command in NOT_SUPPORTED:
        raise logs.Fatal(f"Error: k3s {command} is not supported by the k3s test double")
    if command == "etcd-snapshot":
        return _etcd_snapshot(rest)
    if command in ("token", "certificate"):
        from k3s_double import certificate_cli, token_rotation

        return (token_rotation if command == "token" else certificate_cli).main(rest)
    if command not in ("server", "agent"):
        sys.stderr.write(f"No help topic for '{command}'\n")
        return 3
    flag_list = flags.SERVER if command == "server" else flags.AGENT
    if _wants_help(rest):
        sys.stdout.write(_command_help(command, flag_list))
        return 0
    try:
        return _server(rest) if command == "server" else _agent(rest)
    except flags.UsageError as exc:
        return _usage_error(command, str(exc), flag_list)


def main(argv):
    """Run the command; like the real multi-call binary, a link named kubectl, crictl or ctr runs that tool."""
    program = os.path.basename(argv[0]) if argv else "k3s"
    if version.ARCH and version.goarch() != version.ARCH:
        # What running another architecture's binary gives on a machine without emulation for it.
        sys.stderr.write(f"{argv[0]}: cannot execute binary file: Exec format error\n")
        return 126
    args = list(argv[1:])
    if program in ("kubectl", "crictl", "ctr"):
        args = [program, *args]
    try:
        return _run(args)
    except flags.UsageError as exc:
        return _usage_error("", str(exc), [])
    except logs.Fatal as exc:
        logs.log("fatal", str(exc))
        return 1
    except configfile.ConfigError as exc:
        logs.log("fatal", str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
