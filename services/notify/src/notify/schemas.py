from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class MessageView(BaseModel):
    id: int
    sender: str
    title: str
    body: str
    created_at: datetime
    read: bool


class InboxView(BaseModel):
    unread: int
    messages: list[MessageView]
