"""Notification service: tells participants what happened, starting with the in-app inbox."""
