"""Gateway: the one address of the platform; routes each API call to the service that owns it."""
