# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of the modules that run `k3s etcd-snapshot` (module_utils/k3s_cli.py), except `s3`,
    # which each module describes for what it does.
    DOCUMENTATION = r"""
options:
  k3s_bin:
    description:
      - Path of the k3s binary.
    type: path
    default: /usr/local/bin/k3s
  data_dir:
    description:
      - The k3s data directory, passed as C(--data-dir). When omitted, k3s uses its configuration
        file or its default.
    type: path
  s3_endpoint:
    description:
      - The S3 endpoint (C(--etcd-s3-endpoint)), such as V(minio.home.arpa:9000). k3s defaults to V(s3.amazonaws.com).
    type: str
  s3_endpoint_ca:
    description:
      - CA bundle to trust the S3 endpoint with (C(--etcd-s3-endpoint-ca)), as the path of a file on the
        node or, with current k3s releases, as the bundle itself base64-encoded.
    type: str
  s3_bucket:
    description:
      - The S3 bucket (C(--etcd-s3-bucket)).
    type: str
  s3_folder:
    description:
      - The folder in the bucket (C(--etcd-s3-folder)).
    type: str
  s3_region:
    description:
      - The S3 region (C(--etcd-s3-region)). k3s defaults to V(us-east-1).
    type: str
  s3_access_key:
    description:
      - The S3 access key. Passed to k3s in the environment, never on the command line.
      - Defaults to the E(AWS_ACCESS_KEY_ID) environment variable of the module.
    type: str
  s3_secret_key:
    description:
      - The S3 secret key. Passed to k3s in the environment, never on the command line.
      - Defaults to the E(AWS_SECRET_ACCESS_KEY) environment variable of the module.
    type: str
  s3_insecure:
    description:
      - Talk to S3 over plain HTTP (C(--etcd-s3-insecure)).
    type: bool
    default: false
  s3_skip_ssl_verify:
    description:
      - Do not verify the TLS certificate of the S3 endpoint (C(--etcd-s3-skip-ssl-verify)).
    type: bool
    default: false
"""
