# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Galaxy server on 127.0.0.1 that serves collection tarballs from a directory.

No Galaxy server is reachable from CI, so the collections homelab.k3s depends on are served from copies of
them: the `ansible` package holds each collection in its installed form (MANIFEST.json, FILES.json and the
files), which is the content of a Galaxy tarball. `ansible-galaxy` talks to this server through the Galaxy
v3 API, as it talks to galaxy.ansible.com: it lists the versions, reads their dependencies, downloads the
tarball and checks its sha256.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]


def declared_dependencies() -> dict[str, str]:
    """The collections galaxy.yml depends on, with their version ranges."""
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]


def _add(archive: tarfile.TarFile, name: str, data: bytes | None, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime = mode, 0
    if data is None:
        info.type = tarfile.DIRTYPE
        archive.addfile(info)
    else:
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


def tarball_of_installed(collection: Path, dest: Path) -> Path:
    """A Galaxy tarball of an installed collection: MANIFEST.json, FILES.json and the files FILES.json lists.

    The ansible package leaves some files of a collection out (its CI scripts, its tests) but not their entries
    in FILES.json: the entries of missing files are dropped, and MANIFEST.json gets the new FILES.json checksum.
    """
    manifest = json.loads((collection / "MANIFEST.json").read_text())
    info = manifest["collection_info"]
    files = json.loads((collection / "FILES.json").read_text())
    entries = [e for e in files["files"] if e["name"] != "." and (collection / e["name"]).exists()]
    for entry in entries:
        if entry["ftype"] == "file":
            entry["chksum_sha256"] = hashlib.sha256((collection / entry["name"]).read_bytes()).hexdigest()
    files_json = json.dumps({**files, "files": [*files["files"][:1], *entries]}, indent=2).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    path = dest / f"{info['namespace']}-{info['name']}-{info['version']}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "MANIFEST.json", json.dumps(manifest, indent=2).encode(), 0o644)
        _add(archive, "FILES.json", files_json, 0o644)
        for entry in entries:
            source = collection / entry["name"]
            if entry["ftype"] == "dir":
                _add(archive, entry["name"], None, 0o755)
            else:
                _add(archive, entry["name"], source.read_bytes(), 0o755 if source.stat().st_mode & 0o111 else 0o644)
    return path


def dependency_tarballs(collections_root: Path, dest: Path) -> list[Path]:
    """Tarballs of the declared dependencies, from an ansible_collections directory of the ansible package."""
    dest.mkdir(parents=True, exist_ok=True)
    return [tarball_of_installed(collections_root / Path(*fqcn.split(".")), dest) for fqcn in declared_dependencies()]


def extract_from_wheel(wheel: Path, dest: Path) -> Path:
    """The declared dependencies' directories of an `ansible` wheel, extracted into dest/ansible_collections."""
    wanted = tuple(f"ansible_collections/{fqcn.replace('.', '/')}/" for fqcn in declared_dependencies())
    done = dest / ".extracted"
    if not done.exists():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(dest, [n for n in archive.namelist() if n.startswith(wanted)])  # noqa: S202 - a PyPI wheel
        done.write_text(wheel.name)
    return dest / "ansible_collections"


def manifest_of(tarball: Path) -> dict:
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile("MANIFEST.json"))["collection_info"]


class _Handler(BaseHTTPRequestHandler):
    server: GalaxyServer

    def _json(self, data, status=200):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = urlsplit(self.path).path
        parts = [p for p in path.split("/") if p]
        index = self.server.index
        self.server.requests.append(path)
        if parts == ["api"]:
            return self._json({"available_versions": {"v3": "v3/"}})
        if parts[:1] == ["download"] and len(parts) == 2:
            found = [t for versions in index.values() for t in versions.values() if t.name == parts[1]]
            if not found:
                return self._json({"detail": "not found"}, 404)
            body = found[0].read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if parts[:3] != ["api", "v3", "collections"] or len(parts) < 5:
            return self._json({"detail": "not found"}, 404)
        versions = index.get((parts[3], parts[4]))
        if versions is None:
            return self._json({"detail": "not found"}, 404)
        base = f"/api/v3/collections/{parts[3]}/{parts[4]}"
        if len(parts) == 5:
            return self._json({"namespace": parts[3], "name": parts[4], "updated_at": "2026-01-01T00:00:00Z"})
        if len(parts) == 6 and parts[5] == "versions":
            data = [{"version": v, "href": f"{base}/versions/{v}/"} for v in versions]
            return self._json({"meta": {"count": len(data)}, "links": {"next": None}, "data": data})
        if len(parts) == 7 and parts[5] == "versions" and parts[6] in versions:
            tarball = versions[parts[6]]
            manifest = manifest_of(tarball)
            return self._json(
                {
                    "namespace": {"name": manifest["namespace"]},
                    "collection": {"name": manifest["name"]},
                    "version": manifest["version"],
                    "href": f"{base}/versions/{manifest['version']}/",
                    "download_url": f"/download/{tarball.name}",
                    "artifact": {"filename": tarball.name, "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest()},
                    "metadata": {"dependencies": manifest["dependencies"] or {}},
                    "signatures": [],
                }
            )
        return self._json({"detail": "not found"}, 404)

    def log_message(self, *args):
        pass


class GalaxyServer(ThreadingHTTPServer):
    """Serves the tarballs given; `url` is what ansible-galaxy takes as its server (-s or ANSIBLE_GALAXY_SERVER)."""

    def __init__(self, tarballs):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.index: dict[tuple[str, str], dict[str, Path]] = {}
        self.requests: list[str] = []
        for tarball in tarballs:
            manifest = manifest_of(tarball)
            self.index.setdefault((manifest["namespace"], manifest["name"]), {})[manifest["version"]] = tarball
        self.url = f"http://127.0.0.1:{self.server_address[1]}/api/"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def versions(self) -> dict[str, list[str]]:
        return {f"{ns}.{name}": sorted(v) for (ns, name), v in self.index.items()}
