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

_NO_VALUE = object()


def load(path: Path) -> dict[str, Any]:
    """A template from a JSON or YAML (short-form tags allowed) file."""
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return load_template(path)


def export_name(template: dict[str, Any], output: str, stage: str) -> str:
    """The export name of one of `template`'s outputs for `stage` (its `Fn::Sub` over `${Stage}`)."""
    name = template["Outputs"][output]["Export"]["Name"]
    text = name["Fn::Sub"] if isinstance(name, dict) else name
    return text.replace("${Stage}", stage)


@dataclass
class StackResolver(Resolver):
    """`Resolver` plus `Fn::ImportValue`, `Fn::Select`, `Fn::Split`, `Fn::Join`, `Fn::If` and conditions."""

    exports: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, argument), = value.items()
            if name == "Ref" and argument == "AWS::NoValue":
                return _NO_VALUE
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
            if name == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if name == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.condition(condition) else when_false)
            if name == "Ref" or name.startswith("Fn::"):
                return super().resolve(value)  # Ref, Fn::Sub, Fn::GetAtt; anything else raises
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        return self._evaluate(self.template.get("Conditions", {})[name])

    def _evaluate(self, expression: Any) -> bool:
        (name, argument), = expression.items()
        if name == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self._evaluate(argument[0])
        if name == "Fn::And":
            return all(self._evaluate(a) for a in argument)
        if name == "Fn::Or":
            return any(self._evaluate(a) for a in argument)
        if name == "Condition":
            return self.condition(argument)
        raise ValueError(f"unsupported condition function {name}")

