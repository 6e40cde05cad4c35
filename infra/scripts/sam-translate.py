#!/usr/bin/env python3
"""Offline SAM transform: expands template.yaml with aws-sam-translator, without AWS credentials.

Usage: sam-translate.py TEMPLATE OUTPUT.json

It proves that `sam deploy` would accept the template's serverless resources, and writes the plain
CloudFormation that the IAM tests read. Managed policy ARNs are resolved from a fixed table instead of
IAM (which needs credentials); a template naming a managed policy missing from it fails loudly.
"""
import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
import boto3
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaDynamoDBExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
    "AWSLambdaRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "CloudWatchLambdaInsightsExecutionRolePolicy": "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy",
}


class OfflinePolicyLoader:
    def load(self):
        return MANAGED_POLICIES


def packaged(template):
    """Replaces local code paths with S3 locations, as `sam package` does before CloudFormation sees them."""
    for res in template.get("Resources", {}).values():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str) \
                and not props["CodeUri"].startswith("s3://"):
            props["CodeUri"] = "s3://orion-artifacts/" + props["CodeUri"].strip("./") + ".zip"
        if res.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str) \
                and not props["DefinitionUri"].startswith("s3://"):
            props["DefinitionUri"] = {"Bucket": "orion-artifacts", "Key": props["DefinitionUri"].strip("./")}
    return template


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = argv[1], argv[2]
    with open(src) as f:
        template = packaged(yaml_parse(f.read()))
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
              "AWS::StackName": "orion-dev", "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/orion-dev/x"}
    # A session with a region and no credentials: the translator only reads the region from it.
    session = boto3.session.Session(region_name="us-east-1")
    translator = Translator(OfflinePolicyLoader().load(), parser.Parser(), boto_session=session)
    try:
        out = translator.translate(template, params)
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"sam-translate: {cause.message}", file=sys.stderr)
        return 1
    with open(dst, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True, default=str)
    print(f"sam-translate: {src} -> {dst} ({len(out.get('Resources', {}))} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
