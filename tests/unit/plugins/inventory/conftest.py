# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the homelab.k3s.terraform inventory tests: the plugin in-process, local servers, TLS files."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from terraform_inventory_helpers import PLUGIN, LocalServer, RecordingDisplay


@pytest.fixture(scope="session")
def inventory_plugin_factory():
    """A function making a fresh plugin instance whose warnings are recorded.

    The plugin's option definitions are registered the way the plugin loader does it, without installing
    the collection loader: the tests import ``ansible_collections`` from the ``collections`` link directly.
    """
    from ansible.plugins.loader import inventory_loader

    from ansible_collections.homelab.k3s.plugins.inventory import terraform

    inventory_loader._load_config_defs(PLUGIN, terraform, terraform.__file__)

    def make():
        plugin = terraform.InventoryModule()
        plugin._load_name = PLUGIN
        plugin._original_path = terraform.__file__
        plugin._redirected_names = [PLUGIN]
        plugin.display = RecordingDisplay()
        return plugin

    return make


@pytest.fixture
def parse_config(inventory_plugin_factory):
    """Parse a configuration file in-process; returns ``(InventoryData, plugin)``."""
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader

    def parse(path: Path, cache: bool = False):
        plugin = inventory_plugin_factory()
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if getattr(plugin, "_cache", None) is not None:
            plugin.update_cache_if_changed()  # as the inventory manager does after parse()
        return inventory, plugin

    return parse


@pytest.fixture
def local_server():
    """Start local servers with ``local_server(respond, tls=None)``; all are stopped after the test."""
    started = []

    def start(respond, tls=None):
        server = LocalServer(respond, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key: ``(cert path, key path)``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def server_tls(tls_files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context
