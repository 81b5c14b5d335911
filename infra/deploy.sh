#!/usr/bin/env bash
# `make deploy STAGE=<stage>`: deploys what `make package` wrote to dist/<stage>/, with the AWS CLI, in the
# order docs/deploy.md explains step by step. Idempotent: run it again to roll out changes.
#
# Uses the AWS CLI's usual credentials and region (AWS_PROFILE, AWS_REGION, ...). Settings of the stage:
#   ARTIFACT_BUCKET   required: an S3 bucket of yours; the functions' code and every template are uploaded to it
#                     (CloudFormation takes a template over 51,200 bytes only from S3)
#   ARTIFACT_PREFIX   optional: key prefix of those uploads; default dossier-<stage>
#   ALARM_TOPIC_ARN   required: SNS topic the alarms notify
#   STAFF_ORIGIN      required: origin of the staff front end, e.g. https://staff.example.com
#   MAIL_SENDER       required: From address, verified in SES (or its domain is)
#   PUBLIC_BASE_URL   optional: the API's public URL (a custom domain); default: the stack's own endpoint. The
#                     staff console signs in at <PUBLIC_BASE_URL>/app/ (the identity stack's callback URLs)
#   PORTAL_ORIGIN     optional: origin portal pages are served from; default: the API's origin
#   JWT_ISSUER, JWT_AUDIENCE, JWKS_URL
#                     optional: another identity provider; default: the dossier-<stage>-identity user pool
#   OIDC_DOMAIN       optional, with another identity provider: origin of its hosted sign-in for the staff console
set -euo pipefail

STAGE=${1:?usage: infra/deploy.sh <stage>}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIST=${DIST:-$ROOT/dist/$STAGE}
PYTHON=${PYTHON:-python3}
AWS=${AWS:-aws}

INFRA_STACK="dossier-$STAGE-infra"
IDENTITY_STACK="dossier-$STAGE-identity"
APP_STACK="dossier-$STAGE"
# The stack parameter until the API exists; replaced by the API's own URL right after (see below).
PENDING_URL="https://pending.invalid"

: "${ARTIFACT_BUCKET:?set ARTIFACT_BUCKET (an S3 bucket for the functions code and the templates)}"
ARTIFACT_PREFIX=${ARTIFACT_PREFIX:-$APP_STACK}
: "${ALARM_TOPIC_ARN:?set ALARM_TOPIC_ARN (SNS topic for alarms)}"
: "${STAFF_ORIGIN:?set STAFF_ORIGIN (origin of the staff front end)}"
: "${MAIL_SENDER:?set MAIL_SENDER (SES-verified From address)}"

test -f "$DIST/manifest.json" || { echo "no $DIST/manifest.json: run make package STAGE=$STAGE" >&2; exit 2; }
missing=$("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["missing_requirements"]))' \
    "$DIST/manifest.json")
if [ -n "$missing" ]; then
    echo "refusing to deploy: deployment.zip lacks $missing (no wheel for the Lambda runtime)" >&2
    exit 2
fi

output() {  # output <stack> <key>: one output of a deployed stack, empty if the stack or output is missing
    { "$AWS" cloudformation describe-stacks --stack-name "$1" \
        --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text 2>/dev/null || true; } |
        sed 's/^None$//'
}

deploy() {  # deploy <stack> <template> [Key=Value ...]: the template goes through the artifact bucket
    local stack=$1 template=$2
    shift 2
    echo "== $stack"
    "$AWS" cloudformation deploy --stack-name "$stack" --template-file "$template" \
        --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$ARTIFACT_PREFIX" \
        --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
        --tags "app=dossier" "stage=$STAGE" \
        --parameter-overrides "Stage=$STAGE" "$@"
}

# 1. Storage and messaging. PortalOrigin: the API's origin once it exists (first deploy: any origin; the
#    bucket still accepts only POSTs signed by the app).
api_origin=$(output "$APP_STACK" ApiOrigin)
portal_origin=${PORTAL_ORIGIN:-${api_origin:-*}}
deploy "$INFRA_STACK" "$DIST/infra.yaml" "PortalOrigin=$portal_origin"

# The API's public URL: a custom domain, else the application stack's endpoint once it exists.
endpoint=$(output "$APP_STACK" EndpointURL)
public_base_url=${PUBLIC_BASE_URL:-${endpoint%/}}
public_base_url=${public_base_url:-$PENDING_URL}

# 2. Staff identities, unless another identity provider is configured. The console's sign-in returns to
#    <public URL>/app/callback.
own_identity=
if [ -z "${JWT_ISSUER:-}" ]; then
    own_identity=yes
    deploy "$IDENTITY_STACK" "$DIST/identity.yaml" "PublicBaseUrl=$public_base_url"
    JWT_ISSUER=$(output "$IDENTITY_STACK" JwtIssuer)
    JWT_AUDIENCE=$(output "$IDENTITY_STACK" JwtAudience)
    JWKS_URL=$(output "$IDENTITY_STACK" JwksUrl)
    OIDC_DOMAIN=$(output "$IDENTITY_STACK" OidcDomain)
    USER_POOL_ID=$(output "$IDENTITY_STACK" UserPoolId)
fi
: "${JWT_AUDIENCE:?set JWT_AUDIENCE with JWT_ISSUER}" "${JWKS_URL:?set JWKS_URL with JWT_ISSUER}"

# 3. The application: upload the code, then deploy the template that points at it.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$AWS" cloudformation package --template-file "$DIST/app/sam.json" --s3-bucket "$ARTIFACT_BUCKET" \
    --s3-prefix "$ARTIFACT_PREFIX" --output-template-file "$scratch/app.yaml"
deploy_app() {
    deploy "$APP_STACK" "$scratch/app.yaml" "AlarmTopicArn=$ALARM_TOPIC_ARN" "PublicBaseUrl=$1" \
        "StaffOrigin=$STAFF_ORIGIN" "MailSender=$MAIL_SENDER" "JwtIssuer=$JWT_ISSUER" \
        "JwtAudience=$JWT_AUDIENCE" "JwksUrl=$JWKS_URL" "OidcDomain=${OIDC_DOMAIN:-}" \
        "UserPoolId=${USER_POOL_ID:-}"
}
deploy_app "$public_base_url"

# 4. First deploy without a custom domain: the API's URL exists only now; portal links, the uploads
#    bucket's CORS and the console's sign-in need it.
if [ "$public_base_url" = "$PENDING_URL" ]; then
    endpoint=$(output "$APP_STACK" EndpointURL)
    deploy_app "${endpoint%/}"
    if [ -n "$own_identity" ]; then
        deploy "$IDENTITY_STACK" "$DIST/identity.yaml" "PublicBaseUrl=${endpoint%/}"
    fi
fi
if [ -z "${PORTAL_ORIGIN:-}" ] && [ "$portal_origin" != "$(output "$APP_STACK" ApiOrigin)" ]; then
    deploy "$INFRA_STACK" "$DIST/infra.yaml" "PortalOrigin=$(output "$APP_STACK" ApiOrigin)"
fi

echo "== deployed $APP_STACK: $(output "$APP_STACK" EndpointURL)"
