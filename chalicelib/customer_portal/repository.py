"""The permanent portal's items: sign-in links, sessions, messages and the conversations' mail notices.

Sign-in links and sessions carry `expires_at_epoch`, so the table's TTL removes them after they ended (a
day later, so that a late request still finds and refuses them the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib import clock
from chalicelib.customer_portal.models import Conversation, Message, PortalSession, SignInLink
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import (
    Action,
    ConditionFailedError,
    Delete,
    Put,
    Table,
    TransactionCancelledError,
)
from chalicelib.storage.tables import main_table

_KEPT_AFTER_EXPIRY = 86_400


class SignInLinkUsedError(Exception):
    """The sign-in link is gone (used, or never issued) or its secret does not match."""


class SessionGoneError(Exception):
    """The session was ended (signed out) or expired meanwhile."""


class ConversationChangedError(Exception):
    """The conversation's notice plan changed since it was read."""


def _epoch(iso: str) -> int:
    return int(clock.parse(iso).timestamp()) + _KEPT_AFTER_EXPIRY


def _model_fields(item: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    return {name: item[name] for name in model.model_fields if name in item}


class PortalRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def record(self, entries: Sequence[Action]) -> None:
        """History entries of something that has no item of its own (a sign-in link sent)."""
        self.table.transact(entries)

    # --- sign-in links ---

    def put_sign_in(self, account_id: str, link: SignInLink) -> None:
        self.table.put({**keys.portal_sign_in(account_id, link.id), "entity": "portal_sign_in",
                        **link.model_dump(), "expires_at_epoch": _epoch(link.expires_at)})

    def get_sign_in(self, account_id: str, sign_in_id: str) -> SignInLink | None:
        item = self.table.get(keys.portal_sign_in(account_id, sign_in_id))
        return SignInLink.model_validate(_model_fields(item, SignInLink)) if item else None

    # --- sessions ---

    def get_session(self, account_id: str, session_id: str) -> PortalSession | None:
        item = self.table.get(keys.portal_session(account_id, session_id))
        return PortalSession.model_validate(_model_fields(item, PortalSession)) if item else None

    def start_session(self, account_id: str, session: PortalSession, used_sign_in: SignInLink | None,
                      ended_session_id: str | None, extra: Sequence[Action]) -> None:
        """Store the new session; in the same transaction use up the sign-in link (if one was followed: it must
        still be there with the same secret) and end the session it replaces. SignInLinkUsedError when the link
        was used meanwhile."""
        actions: list[Action] = []
        if used_sign_in is not None:
            actions.append(Delete(keys.portal_sign_in(account_id, used_sign_in.id),
                                  condition="secret_hash = :hash", values={":hash": used_sign_in.secret_hash}))
        actions.append(Put({**keys.portal_session(account_id, session.id), "entity": "portal_session",
                            **session.model_dump(), "expires_at_epoch": _epoch(session.expires_at)},
                           condition="attribute_not_exists(pk)"))
        if ended_session_id and ended_session_id != session.id:
            actions.append(Delete(keys.portal_session(account_id, ended_session_id)))
        try:
            self.table.transact([*actions, *extra])
        except TransactionCancelledError as exc:
            if used_sign_in is not None and "ConditionalCheckFailed" in exc.reasons:
                raise SignInLinkUsedError from exc
            raise

    def touch_session(self, account_id: str, session_id: str, at: str) -> None:
        try:
            self.table.update(keys.portal_session(account_id, session_id), "SET last_seen_at = :at",
                              values={":at": at}, condition="attribute_exists(pk)", return_values="NONE")
        except ConditionFailedError as exc:
            raise SessionGoneError from exc

    def end_session(self, account_id: str, session_id: str, extra: Sequence[Action] = ()) -> None:
        self.table.transact([Delete(keys.portal_session(account_id, session_id)), *extra])

    # --- messages ---

    def add_message(self, account_id: str, message: Message, extra: Sequence[Action]) -> None:
        self.table.transact([
            Put({**keys.message(account_id, message.id), "entity": "message",
                 "gsi1pk": keys.customer_index(account_id, message.customer_id),
                 "gsi1sk": f"{keys.MESSAGE_PREFIX}{message.at}#{message.id}", **message.model_dump()}),
            *extra,
        ])

    def messages_page(self, account_id: str, customer_id: str, limit: int, cursor: str | None
                      ) -> tuple[list[Message], str | None]:
        """Newest first."""
        partition = keys.customer_index(account_id, customer_id)
        page = self.table.query(partition, index=keys.GSI1, sk_prefix=keys.MESSAGE_PREFIX, forward=False,
                                limit=limit,
                                start_key=cursors.decode(cursor, partition=partition, partition_attribute="gsi1pk"))
        return ([Message.model_validate(_model_fields(i, Message)) for i in page.items],
                cursors.encode(page.last_key))

    def messages_since(self, account_id: str, customer_id: str, since: str | None, limit: int) -> list[Message]:
        """Up to `limit` messages after `since` (all, without it), oldest first."""
        partition = keys.customer_index(account_id, customer_id)
        low = f"{keys.MESSAGE_PREFIX}{since}~" if since else keys.MESSAGE_PREFIX
        page = self.table.query(partition, index=keys.GSI1, sk_between=(low, f"{keys.MESSAGE_PREFIX}~"),
                                limit=limit)
        return [Message.model_validate(_model_fields(i, Message)) for i in page.items]

    def all_messages(self, account_id: str, customer_id: str) -> list[Message]:
        """Oldest first."""
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.MESSAGE_PREFIX)
        return [Message.model_validate(_model_fields(i, Message)) for i in items]

    def message_keys(self, account_id: str, customer_id: str) -> list[dict[str, str]]:
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.MESSAGE_PREFIX)
        return [{"pk": item["pk"], "sk": item["sk"]} for item in items]

    def move_messages(self, account_id: str, source_id: str, target_id: str) -> None:
        """Re-point a customer's messages to another customer (merge); idempotent."""
        for item in self.table.query_all(keys.customer_index(account_id, source_id), index=keys.GSI1,
                                         sk_prefix=keys.MESSAGE_PREFIX):
            self.table.update({"pk": item["pk"], "sk": item["sk"]}, "SET customer_id = :target, gsi1pk = :index",
                              values={":source": source_id, ":target": target_id,
                                      ":index": keys.customer_index(account_id, target_id)},
                              condition="customer_id = :source", return_values="NONE")

    def delete_items(self, item_keys: Sequence[dict[str, str]]) -> None:
        self.table.batch_write(deletes=item_keys)

    # --- conversations (mail notices) ---

    def get_conversation(self, account_id: str, customer_id: str) -> tuple[Conversation, str | None]:
        """The conversation and its version (None: never stored)."""
        item = self.table.get(keys.conversation(account_id, customer_id))
        if item is None:
            return Conversation(customer_id=customer_id), None
        return Conversation.model_validate(_model_fields(item, Conversation)), item.get("version")

    def conversation_action(self, account_id: str, conversation: Conversation, seen_version: str | None,
                            version: str) -> Action:
        """The write (for a transaction) that stores the conversation if nobody changed it since it was read."""
        condition = "attribute_not_exists(pk)" if seen_version is None else "version = :seen"
        values: dict[str, Any] = {":seen": seen_version} if seen_version is not None else {}
        return Put({**keys.conversation(account_id, conversation.customer_id), "entity": "conversation",
                    **conversation.model_dump(), "version": version}, condition=condition, values=values or None)

    def store_conversation(self, account_id: str, conversation: Conversation, seen_version: str | None,
                           version: str, extra: Sequence[Action] = ()) -> None:
        try:
            self.table.transact([self.conversation_action(account_id, conversation, seen_version, version), *extra])
        except TransactionCancelledError as exc:
            if "ConditionalCheckFailed" in exc.reasons:
                raise ConversationChangedError from exc
            raise

    def conversation_key(self, account_id: str, customer_id: str) -> dict[str, str]:
        return keys.conversation(account_id, customer_id)
