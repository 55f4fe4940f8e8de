"""The fields of an Amazon Connect contact record (CTR) that the importer reads, as msgspec Structs.

Field names are AWS's (awsdocs amazon-connect-admin-guide `ctr-data-model.md`). Every field is optional here:
what a record must have is checked by the translation, which names what is missing. Unknown fields are
ignored (AWS adds fields without versioning the format). The same Struct also reads the Lambda envelopes
(`Records` of Kinesis Data Streams, `records` of a Firehose transformation), so one decode tells them apart.
"""

from __future__ import annotations

import msgspec

Seconds = float | None
"""A duration in (whole, per AWS) seconds."""


class Endpoint(msgspec.Struct, gc=False):
    Address: str | None = None
    Type: str | None = None


class QueueInfo(msgspec.Struct, gc=False):
    ARN: str | None = None
    Name: str | None = None
    EnqueueTimestamp: str | None = None
    DequeueTimestamp: str | None = None
    Duration: Seconds = None


class AgentInfo(msgspec.Struct, gc=False):
    ARN: str | None = None
    Username: str | None = None
    ConnectedToAgentTimestamp: str | None = None
    AgentInteractionDuration: Seconds = None
    CustomerHoldDuration: Seconds = None
    NumberOfHolds: int | None = None
    LongestHoldDuration: Seconds = None
    AfterContactWorkStartTimestamp: str | None = None
    AfterContactWorkEndTimestamp: str | None = None
    AfterContactWorkDuration: Seconds = None


class KinesisData(msgspec.Struct, gc=False):
    data: str | None = None


class EnvelopeRecord(msgspec.Struct, gc=False):
    kinesis: KinesisData | None = None
    """A Kinesis Data Streams event record: the CTR is `kinesis.data`."""
    data: str | None = None
    """A Firehose transformation record: the CTR is `data`."""


AttributeValue = str | int | float | bool | None


class Contact(msgspec.Struct, gc=False):
    """One contact record (one leg of an interaction), or an envelope holding records."""

    ContactId: str | None = None
    InitialContactId: str | None = None
    PreviousContactId: str | None = None
    NextContactId: str | None = None
    Channel: str | None = None
    InitiationMethod: str | None = None
    InitiationTimestamp: str | None = None
    DisconnectTimestamp: str | None = None
    DisconnectReason: str | None = None
    LastUpdateTimestamp: str | None = None
    CustomerEndpoint: Endpoint | None = None
    SystemEndpoint: Endpoint | None = None
    TransferredToEndpoint: Endpoint | None = None
    TransferCompletedTimestamp: str | None = None
    Attributes: dict[str, AttributeValue] | None = None
    Queue: QueueInfo | None = None
    Agent: AgentInfo | None = None
    AgentConnectionAttempts: int | None = None
    InstanceARN: str | None = None
    Records: list[EnvelopeRecord] | None = None
    records: list[EnvelopeRecord] | None = None

    @property
    def envelope(self) -> list[EnvelopeRecord] | None:
        """The records of a Lambda envelope; None for a contact record."""
        return self.Records if self.Records is not None else self.records
