"""The message bus: RabbitMQ in production, in-process for the embedded mode."""

from shared.bus.base import (
    DEAD_COMMANDS_QUEUE,
    EVENTS_EXCHANGE,
    LEGACY_EVENT_LOG_STREAM,
    MAX_COMMAND_BATCH,
    BatchHandler,
    Bus,
    CommandConsumer,
    CommandDelivery,
    CommandHandler,
    EventReader,
    Skim,
    command_queue,
    event_log_stream,
    one_at_a_time,
)

__all__ = [
    "DEAD_COMMANDS_QUEUE",
    "EVENTS_EXCHANGE",
    "LEGACY_EVENT_LOG_STREAM",
    "MAX_COMMAND_BATCH",
    "BatchHandler",
    "Bus",
    "CommandConsumer",
    "CommandDelivery",
    "CommandHandler",
    "EventReader",
    "Skim",
    "command_queue",
    "event_log_stream",
    "one_at_a_time",
]
