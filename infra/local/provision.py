"""Provision moto from `infra/template.yaml`, the template that deploys to AWS.

moto's CloudFormation drops bucket CORS, notifications, lifecycle, DynamoDB TTL and queue policies, so
the local stack reads the template itself and makes the equivalent boto3 calls. Only the intrinsic
functions the template uses are understood (`Ref`, `Fn::Sub`, `Fn::GetAtt`); anything else fails loudly
rather than provisioning something different from AWS. `tests/infra` proves the result matches.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"
LOCAL_ACCOUNT_ID = "123456789012"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref X` becomes `{"Ref": "X"}`)."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class Resolver:
    """Evaluates the template's intrinsic functions for one stage in one (local) AWS account."""

    template: dict[str, Any]
    parameters: dict[str, str]
    region: str
    account_id: str = LOCAL_ACCOUNT_ID
    physical: dict[str, dict[str, str]] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::StackName": f"dossier-{self.parameters.get('Stage', 'local')}",
        }

    def parameter_values(self) -> dict[str, str]:
        values = {
            name: str(spec.get("Default", ""))
            for name, spec in self.template.get("Parameters", {}).items()
        }
        values.update(self.parameters)
        return values

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, argument), = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::GetAtt":
                return self._get_att(*argument)
            if name.startswith("Fn::"):
                raise ValueError(f"the local provisioner does not understand {name}")
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> str:
        if name in self.pseudo():
            return self.pseudo()[name]
        params = self.parameter_values()
        if name in params:
            return params[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise KeyError(f"Ref to {name}, which is not provisioned yet")

    def _sub(self, argument: str | list[Any]) -> str:
        text, extra = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in extra:
                return str(self.resolve(extra[token]))
            if "." in token:
                return str(self._get_att(*token.split(".", 1)))
            return str(self._ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _get_att(self, logical: str, attribute: str) -> str:
        try:
            return self.physical[logical][attribute]
        except KeyError as exc:
            raise KeyError(f"GetAtt {logical}.{attribute}: not provisioned yet") from exc

    def properties(self, logical: str) -> dict[str, Any]:
        return self.resolve(self.template["Resources"][logical].get("Properties", {}))


# --- translations from CloudFormation property shapes to API call shapes (shared with tests/infra) ---


def table_request(props: dict[str, Any]) -> dict[str, Any]:
    request = {
        "TableName": props["TableName"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return request


def cors_rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    rules = []
    for rule in props.get("CorsConfiguration", {}).get("CorsRules", []):
        translated = {
            "AllowedMethods": rule["AllowedMethods"],
            "AllowedOrigins": rule["AllowedOrigins"],
        }
        for source, target in (("Id", "ID"), ("AllowedHeaders", "AllowedHeaders"),
                               ("ExposedHeaders", "ExposeHeaders"), ("MaxAge", "MaxAgeSeconds")):
            if source in rule:
                translated[target] = rule[source]
        rules.append(translated)
    return rules


def encryption_rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    return [{"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]} for rule in rules]


def lifecycle_rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    rules = []
    for rule in props.get("LifecycleConfiguration", {}).get("Rules", []):
        translated: dict[str, Any] = {
            "ID": rule["Id"],
            "Status": rule["Status"],
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "ExpirationInDays" in rule:
            translated["Expiration"] = {"Days": rule["ExpirationInDays"]}
        if "AbortIncompleteMultipartUpload" in rule:
            translated["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        if "NoncurrentVersionExpiration" in rule:
            translated["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
        rules.append(translated)
    return rules


def queue_notifications(props: dict[str, Any]) -> list[dict[str, Any]]:
    configurations = []
    for config in props.get("NotificationConfiguration", {}).get("QueueConfigurations", []):
        translated: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
        rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            translated["Filter"] = {"Key": {"FilterRules": rules}}
        configurations.append(translated)
    return configurations


def queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    attributes = {}
    for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds"):
        if name in props:
            attributes[name] = str(props[name])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    if props.get("SqsManagedSseEnabled"):
        attributes["SqsManagedSseEnabled"] = "true"
    return attributes


# --- provisioning ---

_ORDER = ("AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::SNS::Subscription",
          "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::DynamoDB::Table", "AWS::SES::ConfigurationSet",
          "AWS::SES::ConfigurationSetEventDestination")


@dataclass
class ProvisionedStack:
    outputs: dict[str, str]
    physical: dict[str, dict[str, str]]


def provision(session: Any, stage: str = "local", parameters: dict[str, str] | None = None,
              template: dict[str, Any] | None = None) -> ProvisionedStack:
    """Create every resource of the template in the AWS (moto) that `session` points at."""
    template = template or load_template()
    resolver = Resolver(
        template, {"Stage": stage, **(parameters or {})}, region=session.region_name
    )
    resources = template["Resources"]
    ordered = sorted(resources, key=lambda name: (_ORDER.index(resources[name]["Type"]), _queue_rank(resources, name)))
    clients = functools.cache(session.client)  # one client per service for the whole stack
    for logical in ordered:
        kind = resources[logical]["Type"]
        make = _PROVISIONERS.get("AWS::SES::*" if kind.startswith("AWS::SES::") else kind)
        if make is None:
            raise ValueError(f"the local provisioner cannot create {kind}")
        resolver.physical[logical] = make(clients, resolver, logical)
    outputs = {name: str(resolver.resolve(spec["Value"])) for name, spec in template.get("Outputs", {}).items()}
    return ProvisionedStack(outputs=outputs, physical=resolver.physical)


def _queue_rank(resources: dict[str, Any], name: str) -> int:
    """Dead-letter queues first: a queue's redrive policy names its DLQ's ARN."""
    props = resources[name].get("Properties", {})
    return 1 if "RedrivePolicy" in props else 0


#: A resource type's provisioner: (the session's client of a service, the template's resolver, the logical name)
#: → the resource's physical attributes (Ref, Arn, ...).
Provisioner = Callable[[Callable[[str], Any], "Resolver", str], dict[str, str]]


def _queue(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    sqs, props = clients("sqs"), resolver.properties(logical)
    url = sqs.create_queue(QueueName=props["QueueName"], Attributes=queue_attributes(props))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": props["QueueName"]}


def _queue_policy(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    props = resolver.properties(logical)
    for url in props["Queues"]:
        clients("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    return {"Ref": logical}


def _bucket(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    return _provision_bucket(clients("s3"), resolver, logical)


def _bucket_policy(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    # Not applied: the policies only deny plain HTTP, which the local stack speaks, and moto evaluates a
    # Deny without its conditions (it would refuse every object request).
    return {"Ref": logical}


def _table(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    return _provision_table(clients("dynamodb"), resolver.properties(logical))


def _topic(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    name = resolver.properties(logical)["TopicName"]
    return {"Ref": clients("sns").create_topic(Name=name)["TopicArn"], "TopicName": name}


def _subscription(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    props = resolver.properties(logical)
    reply = clients("sns").subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"],
                                     Endpoint=props["Endpoint"])
    return {"Ref": reply["SubscriptionArn"]}


def _ses(clients: Callable[[str], Any], resolver: Resolver, logical: str) -> dict[str, str]:
    # Not created: moto's SES reports no bounces or complaints, and the local stack's mail names no
    # configuration set (DOSSIER_MAIL_CONFIGURATION_SET stays empty).
    return {"Ref": str(resolver.properties(logical).get("Name", logical))}


_PROVISIONERS: dict[str, Provisioner] = {
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::DynamoDB::Table": _table,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SES::*": _ses,
}


def _provision_bucket(s3: Any, resolver: Resolver, logical: str) -> dict[str, str]:
    props = resolver.properties(logical)
    name = props["BucketName"]
    region = resolver.region
    create: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if encryption := encryption_rules(props):
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": encryption})
    if cors := cors_rules(props):
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors})
    if lifecycle := lifecycle_rules(props):
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": lifecycle})
    if notifications := queue_notifications(props):
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"QueueConfigurations": notifications}
        )
    return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}


def _provision_table(dynamodb: Any, props: dict[str, Any]) -> dict[str, str]:
    name = props["TableName"]
    description = dynamodb.create_table(**table_request(props))["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return {"Ref": name, "Arn": description["TableArn"], "StreamArn": description.get("LatestStreamArn", "")}


def resource_names(stage: str, region: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """Physical names of the named resources for `stage`, without provisioning anything."""
    template = template or load_template()
    resolver = Resolver(template, {"Stage": stage}, region=region)
    names = {}
    for logical, spec in template["Resources"].items():
        props = spec.get("Properties", {})
        for attribute in ("TableName", "BucketName", "QueueName"):
            if attribute in props:
                names[logical] = resolver.resolve(props[attribute])
    return names
