"""`make package` output for tests, made once per test run, and what the AWS CLI makes of it.

`chalice package` downloads Lambda wheels (about 20 s), so `packaged_stage` packages once per run: pytest-xdist
workers share the result through a lock in the run's common temporary directory.

`cloudformation_package` is what `aws cloudformation package` writes (awscli's artifact exporter and YAML
dumper, checked byte for byte against awscli 1.45): every local `CodeUri` becomes `s3://<bucket>/<prefix>/<md5
of the file>`, and the template is written as block-style YAML in its own key order.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from infra import cfn

if TYPE_CHECKING:
    import pytest

STAGE = "prod"
#: The largest template CloudFormation (and `aws cloudformation deploy`) accepts inline; larger ones must
#: come from S3.
INLINE_TEMPLATE_LIMIT = 51_200
#: What `aws cloudformation deploy` answers (on stderr, exit status 255) for a larger template without
#: --s3-bucket: awscli's DeployBucketRequiredError.
INLINE_TEMPLATE_REFUSAL = (
    "Templates with a size greater than 51,200 bytes must be deployed via an S3 Bucket. Please add the "
    "--s3-bucket parameter to your command. The local template will be copied to that S3 bucket and then deployed."
)

#: Resource type -> the property whose local file `aws cloudformation package` uploads (the ones Chalice uses).
PACKAGED_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def packaged_stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/<STAGE>/ as `make package STAGE=prod` writes it; made once per test run."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, common to all workers
    out = shared / "dist-shared"
    with (shared / "dist-shared.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # package() writes the manifest last: a stage without one was not finished.
        if not (out / STAGE / "manifest.json").exists():
            from infra import package

            package.package(STAGE, out, log=lambda _line: None)
    return out / STAGE


#: (resolved path, size, modification time) -> MD5: every function's CodeUri is the same 28 MB deployment.zip.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _md5(path: Path) -> str:
    found = path.stat()
    key = (str(path.resolve()), found.st_size, found.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324 - the CLI's content address
    return _DIGESTS[key]


def s3_url(bucket: str, prefix: str, path: Path, extension: str | None = None) -> str:
    """Where the AWS CLI uploads a file: its content's MD5 under the prefix (awscli's upload_with_dedup)."""
    key = _md5(path)
    if extension:
        key = f"{key}.{extension}"
    return f"s3://{bucket}/{prefix}/{key}" if prefix else f"s3://{bucket}/{key}"


def cloudformation_package(template_path: Path, bucket: str, prefix: str,
                           uploads: dict[str, str] | None = None) -> dict[str, Any]:
    """The template `aws cloudformation package --s3-bucket <bucket> --s3-prefix <prefix>` writes, as a dict;
    `uploads` receives each uploaded S3 URL -> its local file."""
    template = cfn.load(template_path)
    for spec in template.get("Resources", {}).values():
        prop = PACKAGED_PROPERTIES.get(spec.get("Type"))
        value = spec.get("Properties", {}).get(prop) if prop else None
        if isinstance(value, str) and not value.startswith("s3://"):
            local = Path(os.path.normpath(template_path.parent.absolute() / value))
            spec["Properties"][prop] = s3_url(bucket, prefix, local)
            if uploads is not None:
                uploads[spec["Properties"][prop]] = str(local)
    return template


class _CliDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml writes the same, faster
    """awscli's FlattenAliasDumper: repeated values are written out, never as anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def cli_yaml(template: dict[str, Any]) -> str:
    """A template as the AWS CLI writes it (awscli's yaml_dump)."""
    return yaml.dump(template, Dumper=_CliDumper, default_flow_style=False, sort_keys=False)
