"""Dossier: the Chalice app. Wiring only: blueprints, event sources, middleware."""

import gc

# What the imports below make lives as long as the process, so a cyclic collection during them finds nothing to
# free; they run without one, and the end of this module freezes what they made (no later collection, nor the
# interpreter's shutdown, walks it again).
_collecting = gc.isenabled()
gc.disable()

from collections.abc import Mapping

from chalice import Chalice, Cron, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib.accounts.api import router as account_routes
from chalicelib.accounts.logo_api import router as logo_routes
from chalicelib.api.auth import auth_blueprint, resolve_principals_with
from chalicelib.api.meta import router as meta_routes
from chalicelib.api.middleware import http_middleware
from chalicelib.approvals.api import router as approval_routes
from chalicelib.attributes.api import router as attribute_routes
from chalicelib.attributes.service import read_values_with
from chalicelib.audit.api import router as audit_routes
from chalicelib.audit.middleware import audit_middleware
from chalicelib.bulk.api import router as bulk_routes
from chalicelib.console.api import router as console_routes
from chalicelib.customer_portal.api import router as customer_portal_routes
from chalicelib.customer_portal.approval_api import router as portal_approval_routes
from chalicelib.customers.api import router as customer_routes
from chalicelib.events.middleware import event_middleware
from chalicelib.exports.api import router as export_routes
from chalicelib.files.api import router as file_routes
from chalicelib.groups.api import router as group_routes
from chalicelib.intake.api import router as intake_routes
from chalicelib.jobs.api import router as job_routes
from chalicelib.lifecycle.api import router as lifecycle_routes
from chalicelib.links.api import file_review_routes
from chalicelib.links.api import router as link_routes
from chalicelib.locallogin.middleware import local_stage_only
from chalicelib.portal.api import router as portal_routes
from chalicelib.portal.home_page import router as portal_home_routes
from chalicelib.portal.page_api import router as portal_page_routes
from chalicelib.templates.api import router as template_routes
from chalicelib.users.api import router as user_routes
from chalicelib.users.local_login_api import router as local_login_routes
from chalicelib.users.service import resolve_principal
from chalicelib.webhooks.api import router as webhook_routes
from chalicelib.workers.attributes import attribute_values

app = Chalice(app_name="dossier")
app.register_middleware(http_middleware, "http")
app.register_middleware(local_stage_only, "http")
app.register_middleware(audit_middleware, "http")
app.register_middleware(event_middleware, "sqs")
app.register_middleware(event_middleware, "scheduled")
app.register_middleware(event_middleware, "dynamodb")
# Shared and low layers ask the domains above them through the functions registered here.
resolve_principals_with(resolve_principal)
read_values_with(attribute_values)
app.register_blueprint(auth_blueprint)
for routes in (account_routes, logo_routes, group_routes, attribute_routes, customer_routes, lifecycle_routes,
               link_routes, file_routes, file_review_routes, portal_routes, portal_page_routes, intake_routes,
               export_routes, local_login_routes, console_routes, webhook_routes, template_routes, meta_routes,
               portal_home_routes, bulk_routes, job_routes, user_routes, audit_routes):
    app.register_blueprint(routes.blueprint)
app.register_blueprint(customer_portal_routes.blueprint)
app.register_blueprint(approval_routes.blueprint)
app.register_blueprint(portal_approval_routes.blueprint)


# The queue name is the dev stage's; `make package` points each stage's function at its own queue.
@app.on_sqs_message(queue="dossier-dev-events", batch_size=10, name="handle_upload_events")
def handle_upload_events(event: SQSEvent) -> Mapping[str, object]:
    # Imported here: the API's cold start should not pay for the batch utilities it never uses.
    from chalicelib.events.handler import handle_batch

    return handle_batch(event.to_dict(), event.context)


# SES bounces and complaints (configuration set → SNS → this queue) fill the per-account suppression list.
@app.on_sqs_message(queue="dossier-dev-mail-feedback", batch_size=10, name="handle_mail_feedback")
def handle_mail_feedback(event: SQSEvent) -> Mapping[str, object]:
    from chalicelib.mail_feedback import handle_batch

    return handle_batch(event.to_dict())


@app.on_sqs_message(queue="dossier-dev-jobs", batch_size=1, name="handle_jobs")
def handle_jobs(event: SQSEvent) -> Mapping[str, object]:
    from chalicelib.workers.jobs import handle_jobs

    return handle_jobs(event.to_dict(), event.context)


# Webhooks: the table's stream carries every committed change; its handler queues one delivery per
# subscribed endpoint, and the deliveries queue retries each with back-off (chalicelib/webhooks). The
# stream ARN is the dev stage's; `make package` points each stage at its own table's stream.
@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-central-1:123456789012:table/dossier-dev/stream/dev",
                        batch_size=100, starting_position="TRIM_HORIZON", name="announce_changes")
def announce_changes(event: DynamoDBEvent) -> Mapping[str, object]:
    from chalicelib.webhooks.handler import handle_changes

    return handle_changes(event.to_dict(), event.context)


@app.on_sqs_message(queue="dossier-dev-webhooks", batch_size=1, name="deliver_webhooks")
def deliver_webhooks(event: SQSEvent) -> Mapping[str, object]:
    from chalicelib.webhooks.handler import handle_deliveries

    return handle_deliveries(event.to_dict(), event.context)


# Daily at 02:00 UTC; the event's time names the day, so a retry after midnight rewrites the same day.
@app.schedule(Cron(0, 2, "*", "*", "?", "*"), name="run_scheduled_exports")
def run_scheduled_exports(event: CloudWatchEvent) -> Mapping[str, object]:
    from chalicelib.exports.handler import run_schedule

    return run_schedule(event.to_dict())


# Planned reminders of due requests (chalicelib/links/service.py send_due_reminders): reads only the due ones.
@app.schedule(Rate(1, unit=Rate.HOURS), name="send_reminders")
def send_reminders(event: CloudWatchEvent) -> Mapping[str, object]:
    from chalicelib.links.service import send_due_reminders

    return vars(send_due_reminders())


# The safety net for counters and records (chalicelib/reconcile): queues a job per account on the jobs queue, which
# recounts it from S3 and DynamoDB and repairs drift.
@app.schedule(Rate(1, unit=Rate.DAYS), name="reconcile_counters")
def reconcile_counters(event: CloudWatchEvent) -> Mapping[str, object]:
    from chalicelib.reconcile.handler import run_reconciliation

    return run_reconciliation(event.to_dict())


# Last in this module (see gc.disable() above): everything made so far stays for the life of the process.
gc.freeze()
if _collecting:
    gc.enable()
