# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API resources the double serves: the built-in kinds k3s clusters have, plus applied CRDs."""


class Resource:
    def __init__(self, kind, plural, group, version, namespaced, short_names=(), singular=None):
        self.kind = kind
        self.plural = plural
        self.group = group
        self.version = version
        self.namespaced = namespaced
        self.short_names = tuple(short_names)
        self.singular = singular or kind.lower()

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self):
        """`deployments.apps`, `nodes`: how the apiserver names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def names(self):
        return {self.plural, self.singular, self.kind.lower(), *self.short_names} | {
            f"{name}.{self.group}" for name in (self.plural, self.singular, self.kind.lower()) if self.group
        }


# kind, plural, apiVersion, namespaced, short names
_BUILTIN = """
Node nodes v1 - no
Namespace namespaces v1 - ns
ConfigMap configmaps v1 + cm
Secret secrets v1 +
Service services v1 + svc
ServiceAccount serviceaccounts v1 + sa
Endpoints endpoints v1 + ep
Event events v1 + ev
Pod pods v1 + po
PersistentVolume persistentvolumes v1 - pv
PersistentVolumeClaim persistentvolumeclaims v1 + pvc
LimitRange limitranges v1 + limits
ResourceQuota resourcequotas v1 + quota
Deployment deployments apps/v1 + deploy
DaemonSet daemonsets apps/v1 + ds
StatefulSet statefulsets apps/v1 + sts
ReplicaSet replicasets apps/v1 + rs
Job jobs batch/v1 +
CronJob cronjobs batch/v1 + cj
Ingress ingresses networking.k8s.io/v1 + ing
IngressClass ingressclasses networking.k8s.io/v1 -
NetworkPolicy networkpolicies networking.k8s.io/v1 + netpol
ClusterRole clusterroles rbac.authorization.k8s.io/v1 -
ClusterRoleBinding clusterrolebindings rbac.authorization.k8s.io/v1 -
Role roles rbac.authorization.k8s.io/v1 +
RoleBinding rolebindings rbac.authorization.k8s.io/v1 +
StorageClass storageclasses storage.k8s.io/v1 - sc
CSIDriver csidrivers storage.k8s.io/v1 -
PriorityClass priorityclasses scheduling.k8s.io/v1 - pc
RuntimeClass runtimeclasses node.k8s.io/v1 -
PodDisruptionBudget poddisruptionbudgets policy/v1 + pdb
Lease leases coordination.k8s.io/v1 +
HorizontalPodAutoscaler horizontalpodautoscalers autoscaling/v2 + hpa
CustomResourceDefinition customresourcedefinitions apiextensions.k8s.io/v1 - crd,crds
APIService apiservices apiregistration.k8s.io/v1 -
MutatingWebhookConfiguration mutatingwebhookconfigurations admissionregistration.k8s.io/v1 -
ValidatingWebhookConfiguration validatingwebhookconfigurations admissionregistration.k8s.io/v1 -
HelmChart helmcharts helm.cattle.io/v1 +
HelmChartConfig helmchartconfigs helm.cattle.io/v1 +
Addon addons k3s.cattle.io/v1 +
ETCDSnapshotFile etcdsnapshotfiles k3s.cattle.io/v1 -
"""


def _parse_builtin():
    resources = []
    for line in _BUILTIN.strip().splitlines():
        fields = line.split()
        kind, plural, api_version, scope = fields[:4]
        group, _sep, version = api_version.rpartition("/")
        short = fields[4].split(",") if len(fields) > 4 else ()
        resources.append(Resource(kind, plural, group, version, scope == "+", short))
    return resources


BUILTIN = _parse_builtin()


def from_crd(crd):
    """The resources a CustomResourceDefinition object defines, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    result = []
    for version in spec.get("versions") or []:
        if version.get("served", True) and names.get("kind") and names.get("plural"):
            result.append(
                Resource(
                    names["kind"],
                    names["plural"],
                    spec.get("group", ""),
                    version.get("name", "v1"),
                    spec.get("scope", "Namespaced") == "Namespaced",
                    names.get("shortNames") or (),
                    names.get("singular"),
                )
            )
    return result


class Registry:
    """Looks resources up by the names kubectl accepts and by apiVersion/kind."""

    def __init__(self, crds=()):
        self.resources = list(BUILTIN)
        for crd in crds:
            self.resources.extend(from_crd(crd))

    def by_name(self, name):
        name = name.lower()
        matches = [r for r in self.resources if name in r.names()]
        return matches[0] if matches else None

    def by_kind(self, api_version, kind):
        group, _sep, version = (api_version or "").rpartition("/")
        for resource in self.resources:
            if resource.kind == kind and resource.group == group and resource.version == version:
                return resource
        for resource in self.resources:
            if resource.kind == kind and resource.group == group:
                return resource
        return None

    def by_path(self, group, version, plural):
        for resource in self.resources:
            if resource.group == group and resource.plural == plural and resource.version == version:
                return resource
        return None

    def groups(self):
        """{group: [versions]} of the named API groups."""
        result = {}
        for resource in self.resources:
            if resource.group and resource.version not in result.setdefault(resource.group, []):
                result[resource.group].append(resource.version)
        return result
