"""The single-table key design, in one place.

Every partition key starts with the account id, so one account's request can only ever name its own
items (and an IAM `dynamodb:LeadingKeys` condition could enforce it). Ids are time-ordered, so a sort
key of ids lists in creation order.

| item        | pk                          | sk                 | gsi1pk                    | gsi1sk         |
|-------------|-----------------------------|--------------------|---------------------------|----------------|
| account     | {acc}                       | ACCOUNT            | SCHEDULED_EXPORTS (1)     | {acc} (1)      |
| directory   | {acc}#DIRECTORY             | DIRECTORY          | ACCOUNTS (2)              | {acc}          |
| group       | {acc}                       | GROUP#{id}         |                           |                |
| attribute   | {acc}                       | ATTR#{id}          |                           |                |
| customer    | {acc}#CUSTOMER              | {id}               | {acc}#STATUS#{status}     | {id}           |
| membership  | {acc}#GROUP#{group}         | {customer}         |                           |                |
| search term | {acc}#SEARCH#{term}         | {customer}         |                           |                |
| link        | {acc}#LINK                  | {id}               | {acc}#C#{customer}        | LINK#{id}      |
| file        | {acc}#FILE                  | {id}               | {acc}#C#{customer}        | FILE#{id}      |
| reservation | {acc}#RESERVATION           | {file id}          |                           |                |
| ledger      | {acc}#LEDGER                | ACCOUNT, C#{id}, L#{id} |                      |                |
| activity    | {acc}#ACTIVITY              | {at}#{id}          | {acc}#C#{customer}        | ACT#{at}#{id}  |
| export      | {acc}#EXPORT                | {id}               |                           |                |
| webhook     | {acc}#WEBHOOK               | {id}               |                           |                |
| delivery    | {acc}#WEBHOOK#{webhook}     | {at}#{id}          |                           |                |
| job         | {acc}#JOB                   | {id}               |                           |                |
| job step    | {acc}#JOB#{job}             | C#{customer}, F#{customer} |                   |                |
| idempotency | {acc}#IDEMPOTENCY           | {scope}#{key hash} |                           |                |
| audit entry | {acc}#AUDIT                 | {at}#{id}          | {acc}#C#{customer} (3)    | AUDIT#{at}#{id} |
| team        | {acc}#USER                  | TEAM               |                           |                |
| user        | {acc}#USER                  | USER#{id}          |                           |                |
| user e-mail | {acc}#USER                  | EMAIL#{hash}       |                           |                |

Files waiting for review also carry a sparse `gsi2` entry (`gsi2pk` `{acc}#REVIEW#{review}`, `gsi2sk`
`{uploaded_at}#{id}`) while their review is `pending` or `needs_clarification`: the review inbox reads
only what waits, newest first.

The account partition (`pk = {acc}`) holds the account with its groups and attributes, so one query
loads everything a request needs to validate input. Files, links and activity live in account-wide
partitions and are listed per customer through `gsi1`; merging customers re-points `gsi1pk` instead of
moving items.

(1) The daily export schedule finds its accounts through a sparse `gsi1` entry on the account item, set
only while `export_schedule.enabled`: one query instead of a scan of every account. It is the one key that does
not start with an account id: only the scheduler reads it, and it holds nothing but account ids.

(2) Every account has a directory entry, written in the same transaction that creates the account, so the
nightly reconciliation (chalicelib/reconcile) lists every account with one query instead of a scan. A
separate item, because the account item's own gsi1 slot is the export schedule's, and in a partition of its
own, so that loading the account partition (every request) does not read it. Like (1), only a scheduled
job reads `ACCOUNTS`, and it holds nothing but account ids. Accounts created before the directory existed
get their entry from `python -m infra.backfill_accounts` (a one-off scan, run by the operator).
"""

from __future__ import annotations

ACCOUNT_SK = "ACCOUNT"
DIRECTORY_SK = "DIRECTORY"
GROUP_PREFIX = "GROUP#"
ATTRIBUTE_PREFIX = "ATTR#"
LINK_PREFIX = "LINK#"
FILE_PREFIX = "FILE#"
ACTIVITY_PREFIX = "ACT#"
GSI1 = "gsi1"
GSI2 = "gsi2"


def key(pk: str, sk: str) -> dict[str, str]:
    return {"pk": pk, "sk": sk}


def account(account_id: str) -> dict[str, str]:
    return key(account_id, ACCOUNT_SK)


def account_partition(account_id: str) -> str:
    return account_id


def group(account_id: str, group_id: str) -> dict[str, str]:
    return key(account_id, GROUP_PREFIX + group_id)


def attribute(account_id: str, attribute_id: str) -> dict[str, str]:
    return key(account_id, ATTRIBUTE_PREFIX + attribute_id)


def customers_partition(account_id: str) -> str:
    return f"{account_id}#CUSTOMER"


def customer(account_id: str, customer_id: str) -> dict[str, str]:
    return key(customers_partition(account_id), customer_id)


def status_index(account_id: str, status: str) -> str:
    return f"{account_id}#STATUS#{status}"


def membership_partition(account_id: str, group_id: str) -> str:
    return f"{account_id}#GROUP#{group_id}"


def membership(account_id: str, group_id: str, customer_id: str) -> dict[str, str]:
    return key(membership_partition(account_id, group_id), customer_id)


def search_partition(account_id: str, term: str) -> str:
    return f"{account_id}#SEARCH#{term}"


def search_term(account_id: str, term: str, customer_id: str) -> dict[str, str]:
    return key(search_partition(account_id, term), customer_id)


def customer_index(account_id: str, customer_id: str) -> str:
    """gsi1pk of everything that belongs to one customer (links, files, activity)."""
    return f"{account_id}#C#{customer_id}"


def links_partition(account_id: str) -> str:
    return f"{account_id}#LINK"


def link(account_id: str, link_id: str) -> dict[str, str]:
    return key(links_partition(account_id), link_id)


def files_partition(account_id: str) -> str:
    return f"{account_id}#FILE"


def file(account_id: str, file_id: str) -> dict[str, str]:
    return key(files_partition(account_id), file_id)


def reservations_partition(account_id: str) -> str:
    return f"{account_id}#RESERVATION"


def reservation(account_id: str, file_id: str) -> dict[str, str]:
    return key(reservations_partition(account_id), file_id)


def review_index(account_id: str, review: str) -> str:
    """gsi2pk of the received files in one review state (the review inbox)."""
    return f"{account_id}#REVIEW#{review}"


def review_entry(account_id: str, review: str, uploaded_at: str, file_id: str) -> dict[str, str]:
    return {"gsi2pk": review_index(account_id, review), "gsi2sk": f"{uploaded_at}#{file_id}"}


def ledger_partition(account_id: str) -> str:
    return f"{account_id}#LEDGER"


def account_ledger(account_id: str) -> dict[str, str]:
    """What the account's open upload reservations hold (counters per expiry window)."""
    return key(ledger_partition(account_id), "ACCOUNT")


def customer_ledger(account_id: str, customer_id: str) -> dict[str, str]:
    return key(ledger_partition(account_id), f"C#{customer_id}")


def link_ledger(account_id: str, link_id: str) -> dict[str, str]:
    return key(ledger_partition(account_id), f"L#{link_id}")


def activity_partition(account_id: str) -> str:
    return f"{account_id}#ACTIVITY"


def activity(account_id: str, at: str, activity_id: str) -> dict[str, str]:
    return key(activity_partition(account_id), f"{at}#{activity_id}")


def exports_partition(account_id: str) -> str:
    return f"{account_id}#EXPORT"


def export(account_id: str, export_id: str) -> dict[str, str]:
    return key(exports_partition(account_id), export_id)


def webhooks_partition(account_id: str) -> str:
    return f"{account_id}#WEBHOOK"


def webhook(account_id: str, webhook_id: str) -> dict[str, str]:
    return key(webhooks_partition(account_id), webhook_id)


def templates_partition(account_id: str) -> str:
    return f"{account_id}#TEMPLATE"


def template(account_id: str, template_id: str) -> dict[str, str]:
    return key(templates_partition(account_id), template_id)


def webhook_deliveries_partition(account_id: str, webhook_id: str) -> str:
    """One webhook endpoint's delivery attempts, by time (they expire through the table's TTL)."""
    return f"{account_id}#WEBHOOK#{webhook_id}"


def webhook_delivery(account_id: str, webhook_id: str, at: str, attempt_id: str) -> dict[str, str]:
    return key(webhook_deliveries_partition(account_id, webhook_id), f"{at}#{attempt_id}")


SCHEDULED_EXPORTS = "SCHEDULED_EXPORTS"
#: (3) Links with a reminder planned carry a sparse gsi2 entry in this partition, sorted by when the next one is
#: due: the hourly reminder run reads only the due ones. Like (1) and (2), only that scheduled job reads it, and
#: it holds nothing but times and ids.
REMINDERS = "REMINDERS"


def reminder_entry(account_id: str, link_id: str, next_at: str) -> dict[str, str]:
    return {"gsi2pk": REMINDERS, "gsi2sk": f"{next_at}#{account_id}#{link_id}"}


def scheduled_exports_entry(account_id: str) -> dict[str, str]:
    """The sparse gsi1 entry an account item carries while its export schedule is enabled."""
    return {"gsi1pk": SCHEDULED_EXPORTS, "gsi1sk": account_id}


ACCOUNTS = "ACCOUNTS"


def directory_entry(account_id: str) -> dict[str, str]:
    """The item that lists an account in the directory of every account (gsi1 `ACCOUNTS`)."""
    return {**key(f"{account_id}#{DIRECTORY_SK}", DIRECTORY_SK), "gsi1pk": ACCOUNTS, "gsi1sk": account_id}


def account_of(partition_key: str) -> str:
    """The account id a partition key belongs to (everything before the first `#`)."""
    return partition_key.split("#", 1)[0]


def limits_partition(account_id: str) -> str:
    return f"{account_id}#LIMIT"


def limit_counter(account_id: str, scope: str, window: int) -> dict[str, str]:
    """A rate limit's counter for one window (`scope` names what is limited, e.g. `intake#{id}`)."""
    return key(limits_partition(account_id), f"{scope}#{window}")


def registrations_partition(account_id: str) -> str:
    return f"{account_id}#REGISTRATION"


def registration(account_id: str, registration_id: str) -> dict[str, str]:
    """A registration through the intake link, waiting for its e-mail confirmation (expires by TTL)."""
    return key(registrations_partition(account_id), registration_id)


def registered_email(account_id: str, email_hash: str) -> dict[str, str]:
    """Which customer a confirmed registration's e-mail address became (the same address is one customer)."""
    return key(registrations_partition(account_id), f"EMAIL#{email_hash}")


def suppressed_address(account_id: str, email_hash: str) -> dict[str, str]:
    """An address SES reported as bouncing or complaining for mail of this account: not mailed again."""
    return key(f"{account_id}#SUPPRESSED", email_hash)


def audit_partition(account_id: str) -> str:
    return f"{account_id}#AUDIT"


def audit_entry(account_id: str, at: str, entry_id: str) -> dict[str, str]:
    """(3) An audit log entry; entries about a customer are also listed through gsi1 (`AUDIT#` sort keys), and are
    not moved by a merge: they record what happened to the customer as it was then."""
    return key(audit_partition(account_id), f"{at}#{entry_id}")


def users_partition(account_id: str) -> str:
    return f"{account_id}#USER"


def team(account_id: str) -> dict[str, str]:
    """The team's settings: what members may do, and how many admins there are (the last-admin rule)."""
    return key(users_partition(account_id), "TEAM")


def user(account_id: str, user_id: str) -> dict[str, str]:
    return key(users_partition(account_id), f"USER#{user_id}")


def user_email(account_id: str, email_hash: str) -> dict[str, str]:
    """Which user of the account holds an e-mail address (one address is one team member)."""
    return key(users_partition(account_id), f"EMAIL#{email_hash}")


# --- the permanent customer portal (chalicelib/customer_portal) ---
# | item          | pk               | sk                | gsi1pk          | gsi1sk            |
# | portal session| {acc}#PSESSION   | {session id}      |                 |                   |
# | sign-in link  | {acc}#PSIGNIN    | {sign-in id}      |                 |                   |
# | message       | {acc}#MESSAGE    | {id}              | {acc}#C#{cust}  | MSG#{at}#{id}     |
# | conversation  | {acc}#MESSAGE    | CONV#{customer}   |                 |                   |
# Sessions and sign-in links expire through the table's TTL; messages are listed per customer through gsi1
# (and so follow the customer's other children).
MESSAGE_PREFIX = "MSG#"


def portal_session(account_id: str, session_id: str) -> dict[str, str]:
    return key(f"{account_id}#PSESSION", session_id)


def portal_sign_in(account_id: str, sign_in_id: str) -> dict[str, str]:
    return key(f"{account_id}#PSIGNIN", sign_in_id)


def message(account_id: str, message_id: str) -> dict[str, str]:
    return key(f"{account_id}#MESSAGE", message_id)


def conversation(account_id: str, customer_id: str) -> dict[str, str]:
    return key(f"{account_id}#MESSAGE", f"CONV#{customer_id}")


# | approval      | {acc}#APPROVAL   | {id}              | {acc}#C#{cust}  | APR#{at}#{id}     |
APPROVAL_PREFIX = "APR#"


def approval(account_id: str, approval_id: str) -> dict[str, str]:
    return key(f"{account_id}#APPROVAL", approval_id)


def jobs_partition(account_id: str) -> str:
    return f"{account_id}#JOB"


def job(account_id: str, job_id: str) -> dict[str, str]:
    """A background job's progress record (`GET /jobs/{id}`)."""
    return key(jobs_partition(account_id), job_id)


def job_steps_partition(account_id: str, job_id: str) -> str:
    return f"{account_id}#JOB#{job_id}"


JOB_STEP_PREFIX = "C#"
JOB_FAILURE_PREFIX = "F#"


def job_step(account_id: str, job_id: str, customer_id: str) -> dict[str, str]:
    """The marker that the job handled one customer (written once, conditionally, with what it did)."""
    return key(job_steps_partition(account_id, job_id), JOB_STEP_PREFIX + customer_id)


def job_failure(account_id: str, job_id: str, customer_id: str) -> dict[str, str]:
    """Why the job could not do its work for one customer (read by `GET /jobs/{id}` without the markers)."""
    return key(job_steps_partition(account_id, job_id), JOB_FAILURE_PREFIX + customer_id)


def idempotency_key(account_id: str, scope: str, key_hash: str) -> dict[str, str]:
    """What a request sent with an `Idempotency-Key` header made (expires by TTL)."""
    return key(f"{account_id}#IDEMPOTENCY", f"{scope}#{key_hash}")
