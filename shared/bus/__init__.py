"""The message bus: RabbitMQ in production, in-process for the embedded mode."""

from shared.bus.base import (
    DEAD_COMMANDS_QUEUE,
    EVENT_LOG_STREAM,
    EVENTS_EXCHANGE,
    Bus,
    CommandConsumer,
    CommandDelivery,
    CommandHandler,
    EventReader,
    command_queue,
)

__all__ = [
    "DEAD_COMMANDS_QUEUE",
    "EVENTS_EXCHANGE",
    "EVENT_LOG_STREAM",
    "Bus",
    "CommandConsumer",
    "CommandDelivery",
    "CommandHandler",
    "EventReader",
    "command_queue",
]
