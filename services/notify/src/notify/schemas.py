from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


Channel = Literal["inbox", "email", "sms", "zns"]
ExternalChannel = Literal["email", "sms", "zns"]


class Audience(BaseModel):
    """Who receives it; every condition given must hold (none: everyone registered)."""

    model_config = ConfigDict(extra="forbid")
    unit_code: str | None = Field(None, max_length=64, description="A unit and its whole subtree")
    category: str | None = Field(None, max_length=64, description="A participant category")
    not_attempted_round: str | None = Field(None, max_length=128,
                                            description="Registered, but no attempt started in this round")
    prize_winners_round: str | None = Field(None, max_length=128, description="Won a prize in this round")


class Composition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=3, max_length=4000)
    channels: list[Channel] = Field(min_length=1, max_length=4)
    audience: Audience = Field(default_factory=Audience)


class NewAnnouncement(Composition):
    """Send now (neither time given), at a time, or as a reminder some minutes before a round closes."""

    send_at: datetime | None = None
    minutes_before_close: int | None = Field(None, ge=5, le=30 * 24 * 60)


class AudienceCount(BaseModel):
    recipients: int
    by_channel: dict[str, int]
    sample: dict[str, dict[str, str]]


class AnnouncementView(BaseModel):
    id: str
    contest_id: str
    title: str
    body: str
    channels: list[str]
    audience: dict[str, Any]
    status: str
    send_at: datetime | None
    minutes_before_close: int | None
    due_at: datetime | None
    created_by_name: str
    created_at: datetime
    dispatched_at: datetime | None
    recipients: int | None
    cancelled_at: datetime | None


class ChannelProgress(BaseModel):
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    read: int = 0


class UnitProgress(BaseModel):
    unit_code: str
    unit_name: str
    recipients: int
    sent: int
    failed: int


class AnnouncementProgress(AnnouncementView):
    channels_progress: dict[str, ChannelProgress]
    units: list[UnitProgress]


class TemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=3, max_length=4000)


class TemplateView(TemplateBody):
    name: str
    updated_at: datetime | None = Field(description="None for a starter template the contest has not changed")


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stopped: list[ExternalChannel] = Field(default_factory=list, description="Channels with no announcements")


class DeliveryReport(BaseModel):
    provider_id: str = Field(min_length=1, max_length=200)
    delivered: bool
    error: str | None = Field(None, max_length=500)
