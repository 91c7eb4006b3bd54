"""The `stance` command on top of the runtime, training and the service; nothing imports it."""
