# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Default locations: /var/lib/rancher/k3s and /etc/rancher/k3s/k3s.yaml for root, ~/.rancher/k3s otherwise."""

import os

GLOBAL_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"


def is_root():
    return os.geteuid() == 0


def data_dir(value):
    if value:
        return os.path.abspath(os.path.expanduser(value))
    if is_root():
        return "/var/lib/rancher/k3s"
    return os.path.expanduser("~/.rancher/k3s")


def kubeconfig_output(value):
    if value:
        return os.path.abspath(os.path.expanduser(value))
    return GLOBAL_KUBECONFIG if is_root() else os.path.expanduser("~/.kube/k3s.yaml")
