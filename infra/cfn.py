"""Reading CloudFormation templates and evaluating their intrinsic functions offline.

`make package` and `tests/infra` need to know what a packaged template will mean once deployed: which
queue an event source reads, which names a function's environment holds, which ARNs a policy grants.
`StackResolver` evaluates a template for one stage in one (example) account, with the other stacks'
exports given as a dict. It extends the local provisioner's resolver (which understands only what
`infra/template.yaml` uses) with what the application stack uses; anything else still fails loudly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.provision import Resolver, load_template

INFRA_DIR = Path(__file__).resolve().parent
INFRA_TEMPLATE = INFRA_DIR / "template.yaml"
IDENTITY_TEMPLATE = INFRA_DIR / "identity.yaml"
APP_MERGE_TEMPLATE = INFRA_DIR / "app-merge.yaml"


def load(path: Path) -> dict[str, Any]:
    """A template from a JSON or YAML (short-form tags allowed) file."""
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return load_template(path)


@dataclass
class StackResolver(Resolver):
    """`Resolver` plus `Fn::ImportValue` (from `exports`), `Fn::Select` and `Fn::Split`."""

    exports: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (name, argument), = value.items()
            if name == "Fn::ImportValue":
                export = self.resolve(argument)
                if export not in self.exports:
                    raise KeyError(f"no stack exports {export!r}")
                return self.exports[export]
            if name == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if name == "Fn::Split":
                separator, text = argument
                return self.resolve(text).split(separator)
        return super().resolve(value)  # which resolves nested values through this method again
