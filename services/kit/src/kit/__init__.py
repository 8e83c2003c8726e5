"""Shared building blocks: every service is assembled from these in the same way."""
