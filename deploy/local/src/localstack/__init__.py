"""The embedded local stack: real servers from PyPI wheels, and every service, on one machine."""
