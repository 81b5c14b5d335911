"""A stand-in for the AWS CLI (`python -m tests.support.aws_cli cloudformation ...`), for testing `make deploy`.

It behaves like awscli where a deployment depends on it, and records everything in a JSON state file (the path
in AWS_STAND_IN_STATE):
- `cloudformation package` writes what the real command writes (tests.support.packaging) and records the upload;
- `cloudformation deploy` refuses, as the real command does (stderr, exit status 255), a template over 51,200
  bytes without --s3-bucket, and what CloudFormation refuses: a stack parameter without a value (no override,
  no default, no previous value) and a value outside the parameter's AllowedValues or AllowedPattern. With
  --s3-bucket it records the template's upload under --s3-prefix, as the CLI uploads it;
- `cloudformation describe-stacks --query "Stacks[0].Outputs[?OutputKey=='K'].OutputValue"` answers the outputs
  the state gives a deployed stack, and fails like the real command for a stack that does not exist.

State: {"stacks": {name: {"parameters": {...}}}, "outputs": {stack: {key: value}}} in, plus "calls" (every
command line), "uploads" (S3 URL -> local file) and "deployments" ({stack, template, template_url,
parameters} for each stack deployed) out.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

# yaml and tests.support.packaging are imported by the commands that read templates: `describe-stacks`, most of
# a deployment's calls, starts a process without them.


class CliError(Exception):
    """What the CLI prints on stderr before exiting with status 255."""


def options(args: list[str]) -> dict[str, list[str]]:
    """`--name value...` pairs; options without a value map to []."""
    parsed: dict[str, list[str]] = {}
    current: list[str] | None = None
    for arg in args:
        if arg.startswith("--"):
            current = parsed.setdefault(arg, [])
        elif current is None:
            raise CliError(f"unexpected argument {arg!r}")
        else:
            current.append(arg)
    return parsed


def one(parsed: dict[str, list[str]], name: str) -> str:
    values = parsed.get(name)
    if not values or len(values) != 1:
        raise CliError(f"aws: error: the following arguments are required: {name}")
    return values[0]


def _load_template(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise CliError(f"Invalid template path {path}")
    text = path.read_text()
    try:  # JSON first, as awscli's yaml_parse reads a template (chalice's sam.json: 400 KB)
        template: dict[str, Any] = json.loads(text)
        return template
    except ValueError:
        pass
    # CloudFormation's short-form tags (!Sub, ...) are accepted as plain values.
    loader = type("TemplateLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
    loader.add_multi_constructor("!", lambda _loader, _tag, node: None)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass


def _stack_parameters(template: dict[str, Any], overrides: dict[str, str],
                      previous: dict[str, str] | None) -> dict[str, str]:
    """The parameter values CloudFormation would use, or its refusal. Overrides the template does not declare
    are dropped, as the CLI drops them; undeclared ones keep their previous value on an existing stack."""
    declared = template.get("Parameters", {})
    values: dict[str, str] = {}
    missing = []
    for name, spec in declared.items():
        if name in overrides:
            values[name] = overrides[name]
        elif previous is not None and name in previous:
            values[name] = previous[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            missing.append(name)
    operation = "CreateChangeSet"
    if missing:
        raise CliError(f"An error occurred (ValidationError) when calling the {operation} operation: "
                       f"Parameters: [{', '.join(missing)}] must have values")
    for name, value in values.items():
        spec = declared[name]
        allowed = spec.get("AllowedValues")
        if allowed is not None and value not in [str(v) for v in allowed]:
            raise CliError(f"An error occurred (ValidationError) when calling the {operation} operation: "
                           f"Parameter '{name}' must be one of AllowedValues")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise CliError(f"An error occurred (ValidationError) when calling the {operation} operation: "
                           f"Parameter '{name}' must match pattern {pattern}")
    return values


def deploy(state: dict[str, Any], parsed: dict[str, list[str]]) -> None:
    from tests.support.packaging import INLINE_TEMPLATE_LIMIT, INLINE_TEMPLATE_REFUSAL, s3_url

    stack = one(parsed, "--stack-name")
    path = Path(one(parsed, "--template-file"))
    template = _load_template(path)
    overrides = dict(item.split("=", 1) for item in parsed.get("--parameter-overrides", []))
    if path.stat().st_size > INLINE_TEMPLATE_LIMIT and "--s3-bucket" not in parsed:
        print()
        raise CliError(INLINE_TEMPLATE_REFUSAL)
    template_url = None
    if "--s3-bucket" in parsed:
        prefix = parsed["--s3-prefix"][0] if parsed.get("--s3-prefix") else ""
        template_url = s3_url(one(parsed, "--s3-bucket"), prefix, path, extension="template")
        state["uploads"][template_url] = str(path)
    previous = state["stacks"].get(stack)
    parameters = _stack_parameters(template, overrides, previous and previous["parameters"])
    state["stacks"][stack] = {"parameters": parameters}
    state["deployments"].append({"stack": stack, "template": path.read_text(), "template_url": template_url,
                                 "parameters": parameters})
    print(f"Successfully created/updated stack - {stack}")


def package(state: dict[str, Any], parsed: dict[str, list[str]]) -> None:
    from tests.support.packaging import cli_yaml, cloudformation_package

    path = Path(one(parsed, "--template-file"))
    _load_template(path)
    bucket = one(parsed, "--s3-bucket")
    prefix = parsed["--s3-prefix"][0] if parsed.get("--s3-prefix") else ""
    template = cloudformation_package(path, bucket, prefix, uploads=state["uploads"])
    output = one(parsed, "--output-template-file")
    Path(output).write_text(cli_yaml(template))
    print(f"Successfully packaged artifacts and wrote output template to file {output}.")


def describe_stacks(state: dict[str, Any], parsed: dict[str, list[str]]) -> None:
    stack = one(parsed, "--stack-name")
    if stack not in state["stacks"]:
        print()
        raise CliError("An error occurred (ValidationError) when calling the DescribeStacks operation: "
                       f"Stack with id {stack} does not exist")
    match = re.fullmatch(r"Stacks\[0\]\.Outputs\[\?OutputKey=='(\w+)'\]\.OutputValue", one(parsed, "--query"))
    if match is None or parsed.get("--output") != ["text"]:
        raise CliError("the stand-in answers only one output's value as text")
    print(state["outputs"].get(stack, {}).get(match.group(1), "None"))


COMMANDS = {("cloudformation", "deploy"): deploy, ("cloudformation", "package"): package,
            ("cloudformation", "describe-stacks"): describe_stacks}


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["AWS_STAND_IN_STATE"])
    state = json.loads(state_path.read_text())
    for key, empty in (("stacks", {}), ("outputs", {}), ("calls", []), ("uploads", {}), ("deployments", [])):
        state.setdefault(key, empty)
    state["calls"].append(argv)
    try:
        command = COMMANDS.get(tuple(argv[:2]))
        if command is None:
            raise CliError(f"the stand-in does not know `aws {' '.join(argv[:2])}`")
        command(state, options(argv[2:]))
        status = 0
    except CliError as error:
        print(error, file=sys.stderr)
        status = 255
    state_path.write_text(json.dumps(state))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
