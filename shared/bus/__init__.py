"""The message bus: RabbitMQ in production, in-process for the embedded mode."""

from shared.bus.base import (
    DEAD_COMMANDS_QUEUE,
    EVENTS_EXCHANGE,
    LEGACY_EVENT_LOG_STREAM,
    Bus,
    CommandConsumer,
    CommandDelivery,
    CommandHandler,
    EventReader,
    Skim,
    command_queue,
    event_log_stream,
)

__all__ = [
    "DEAD_COMMANDS_QUEUE",
    "EVENTS_EXCHANGE",
    "LEGACY_EVENT_LOG_STREAM",
    "Bus",
    "CommandConsumer",
    "CommandDelivery",
    "CommandHandler",
    "EventReader",
    "Skim",
    "command_queue",
    "event_log_stream",
]
