"""The bus on a three-node RabbitMQ cluster on this machine."""
