"""Registration service: participants, the unit tree, accounts and access tokens."""
