# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Arguments the etcd_snapshot and etcd_snapshot_info tests share."""

# S3 settings whose key and secret carry characters that must survive the environment and any regex.
S3 = {
    "s3": True,
    "s3_endpoint": "minio.home.arpa:9000",
    "s3_bucket": "k3s-snapshots",
    "s3_folder": "homelab",
    "s3_access_key": "AKIA+access%key",
    "s3_secret_key": "s3cr$t/key(with)[regex]^chars.",
}


def args(fake, **extra):
    """Module arguments that run the fake k3s."""
    return dict(k3s_bin=fake.binary, **extra)
