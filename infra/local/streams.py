"""The local stream pump: what Lambda's DynamoDB stream event source does on AWS.

It reads the table's stream shard by shard and hands each batch of records to the very handler Lambda
calls (app.py's `announce_changes`, with the same event shape). A batch whose handler raises is read again
on the next poll, as Lambda retries a failed stream batch, so records are never skipped. It starts at the
stream's end (`LATEST`): the local stack is the only writer, and a restored snapshot must not announce old
changes again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

from chalicelib.observability import logger
from infra.local.pump import PollingPump

Handler = Callable[[dict[str, Any], Any], Any]

#: How often the pump lists the stream's shards again.
DESCRIBE_SECONDS = 5.0


def streams_client(session: Any) -> Any:
    # botocore sends DynamoDB Streams calls to an account-specific host (`<account>.streams-ddb...`) that
    # moto's in-process mock does not recognise; the regional endpoint answers the same on AWS.
    from botocore.config import Config

    return session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


class StreamPump(PollingPump):
    def __init__(self, streams: Any, stream_arn: str, handler: Handler, function_name: str,
                 batch_size: int = 100, start: str = "LATEST", idle_seconds: float = 0.2) -> None:
        super().__init__(function_name)
        self.streams = streams
        self.stream_arn = stream_arn
        self.handler = handler
        self.batch_size = batch_size
        #: Where a shard is first read from (`LATEST` or `TRIM_HORIZON`).
        self.start_position = start
        self.idle_seconds = idle_seconds
        self._iterators: dict[str, str] = {}
        self._next_describe = 0.0
        self._open_shards()

    def source(self) -> dict[str, str]:
        return {"stream": self.stream_arn}

    def _open_shards(self) -> None:
        # A stream's shards change rarely (moto keeps one per table): they are listed again every few seconds,
        # not before every read.
        self._next_describe = time.monotonic() + DESCRIBE_SECONDS
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=self.start_position,
                )["ShardIterator"]

    def poll_once(self) -> int:
        """Read one batch from every shard and hand it over; the number of records handed over."""
        if time.monotonic() >= self._next_describe:
            self._open_shards()
        handed = 0
        for shard_id, iterator in list(self._iterators.items()):
            reply = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            records = reply.get("Records", [])
            if records:
                event = {"Records": [{**record, "eventSourceARN": self.stream_arn} for record in records]}
                try:
                    self.handler(event, LambdaContext(self.function_name, 512, max_runtime_ms=30_000))
                except Exception:
                    # Lambda retries a failed stream batch until it succeeds (or the records expire).
                    logger.exception("stream handler failed; the batch will be retried",
                                     extra={"stream": self.stream_arn})
                    continue
                handed += len(records)
            if reply.get("NextShardIterator"):
                self._iterators[shard_id] = reply["NextShardIterator"]
        return handed

    def drain(self, max_rounds: int = 50) -> int:
        """Hand over everything in the stream now; the number of records."""
        total = 0
        for _ in range(max_rounds):
            handed = self.poll_once()
            if not handed:
                return total
            total += handed
        raise RuntimeError("the stream did not drain")
