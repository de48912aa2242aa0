# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory update of the AWX inventory source: ansible-inventory through ansible-runner, reading
awx/inventory/cluster.terraform.yml with the environment the "Terraform state" credential injects."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ansible_runner
import pytest
from awx_runner import ROOT, awx_env, load_vars

STATE = ROOT / "tests" / "fixtures" / "terraform" / "telmate.tfstate"
USER, PASSWORD = "gitlab-ci-token", "glpat-not-a-real-token"


class StateBackend(BaseHTTPRequestHandler):
    """Terraform's HTTP backend as GitLab serves it: GET with basic authentication."""

    def do_GET(self):
        wanted = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != wanted:
            self.send_response(401)
            self.end_headers()
            return
        body = STATE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def backend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StateBackend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v4/projects/1/terraform/state/k3s"
    server.shutdown()


def _credential_env(credential_types, inputs):
    """The env injectors of the Terraform state credential type, filled in as AWX does (missing inputs: "")."""
    (kind,) = [t for t in credential_types if t["name"].endswith(" Terraform state")]
    fields = {field["id"] for field in kind["inputs"]["fields"]}
    env = {}
    for name, template in kind["injectors"]["env"].items():
        field = template.strip("{} ")
        assert field in fields, name
        env[name] = inputs.get(field, "")
    return env


def _update(project, pdd, env):
    source = project / "awx" / "inventory" / "cluster.terraform.yml"
    output = pdd / "output.json"
    response, error, rc = ansible_runner.run_command(
        executable_cmd="ansible-inventory",
        cmdline_args=["--list", "--export", "-i", str(source), "--output", str(output)],
        private_data_dir=str(pdd),
        host_cwd=str(project),
        envvars=env,
        quiet=True,
    )
    return rc, response + error, output


def test_inventory_source_reads_the_state_with_the_credential(project, backend, tmp_path):
    types = load_vars(ROOT / "awx" / "vars" / "credential_types.yml")["homelab_awx_credential_types"]
    env = _credential_env(types, {"tf_http_address": backend, "tf_http_username": USER, "tf_http_password": PASSWORD})
    rc, out, output = _update(project, tmp_path / "pdd", {**awx_env(project.parent), **env})
    assert rc == 0, out
    inventory = json.loads(output.read_text())
    assert sorted(inventory["k3s_cluster"]["children"]) == ["agent", "server"]
    assert len(inventory["server"]["hosts"]) == 1 and len(inventory["agent"]["hosts"]) == 2
    assert PASSWORD not in output.read_text()


def test_inventory_source_fails_without_the_credential(project, backend, tmp_path):
    rc, out, output = _update(project, tmp_path / "pdd", {**awx_env(project.parent), "TF_HTTP_ADDRESS": backend})
    assert rc != 0 and not output.exists()
    assert "401" in out
