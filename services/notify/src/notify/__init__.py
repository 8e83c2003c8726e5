"""Notification service: tells participants what happened (the in-app inbox) and delivers their
one-time codes by SMS and e-mail."""
