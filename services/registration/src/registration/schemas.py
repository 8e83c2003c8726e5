"""HTTP request and response bodies (not events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, EmailStr, Field, StringConstraints
from pydantic_core import PydanticCustomError

from registration.rules import CONTROL


def printable(value: object) -> object:
    """Refuse control characters: no name or code holds one, and PostgreSQL refuses NUL with a server error."""
    if isinstance(value, str) and CONTROL.search(value):
        raise PydanticCustomError("control_character", "contains a control character")
    return value


Text = Annotated[str, BeforeValidator(printable)]
Phone = Text  # as people type it; normalised by rules.normalise_phone
# Stripped before the length check: a name of spaces only is no name.
# The constraints come before the validator, or pydantic would check them as on any sequence and not strip.
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120),
                     BeforeValidator(printable)]
CodeChannel = Literal["sms", "email"]
UnitCodeInPath = Annotated[Text, Path(min_length=1, max_length=64)]


ConsentVersion = Annotated[str, StringConstraints(max_length=64), BeforeValidator(printable)]
CONSENT_VERSION = Field(None, examples=["3f9a1c2b7d4e"], description=(
    "The version of the notice that was shown (GET /consent-notice); a version that is no longer current is"
    " refused with 409 consent_outdated. Left out, the current version is recorded."))


class RegisterParticipant(BaseModel):
    full_name: FullName = Field(examples=["Nguyễn Văn An"])
    phone: Phone = Field(min_length=9, max_length=20, examples=["0912 345 678"])
    email: EmailStr | None = Field(None, max_length=254)
    birth_year: int = Field(ge=1900, le=2025, examples=[1990])
    unit_code: Text = Field(min_length=1, max_length=64, examples=["BP-STTTT"])
    category: Text = Field(max_length=64, examples=["can-bo-cong-chuc-vien-chuc"])
    password: str = Field(min_length=8, max_length=128)
    consent: bool = Field(description="Agrees to the contest's personal-data notice (Nghị định 13/2023/NĐ-CP),"
                          " GET /consent-notice")
    consent_version: ConsentVersion | None = CONSENT_VERSION


CONSENT = Field(False, description="Needed by a pre-registered person the first time they open a session")


class LogIn(BaseModel):
    phone: Phone = Field(min_length=9, max_length=20)
    password: str = Field(min_length=1, max_length=128)
    consent: bool = CONSENT
    consent_version: ConsentVersion | None = CONSENT_VERSION


class RequestCode(BaseModel):
    phone: Phone = Field(min_length=9, max_length=20)


class LogInWithCode(BaseModel):
    phone: Phone = Field(min_length=9, max_length=20)
    code: Text = Field(min_length=4, max_length=10)
    consent: bool = CONSENT
    consent_version: ConsentVersion | None = CONSENT_VERSION


class ResetPassword(BaseModel):
    phone: Phone = Field(min_length=9, max_length=20)
    code: Text = Field(min_length=4, max_length=10)
    new_password: str = Field(min_length=8, max_length=128)
    consent: bool = CONSENT
    consent_version: ConsentVersion | None = CONSENT_VERSION


class RefreshSession(BaseModel):
    refresh_token: Text = Field(min_length=10, max_length=200)


class SendVerification(BaseModel):
    channel: CodeChannel = "sms"


class ConfirmVerification(BaseModel):
    channel: CodeChannel = "sms"
    code: Text = Field(min_length=4, max_length=10)


class ChangeAccount(BaseModel):
    full_name: FullName | None = None
    email: EmailStr | None = Field(None, max_length=254)
    birth_year: int | None = Field(None, ge=1900, le=2025)
    unit_code: Text | None = Field(None, min_length=1, max_length=64)
    category: Text | None = Field(None, max_length=64)
    current_password: str | None = Field(None, max_length=128)
    new_password: str | None = Field(None, min_length=8, max_length=128)


class EraseAccount(BaseModel):
    """Confirmed by the password, or by a code sent to the phone (POST /participants/me/erasure/code)."""

    password: str | None = Field(None, min_length=1, max_length=128, description="Confirms that the owner asks")
    code: Text | None = Field(None, min_length=4, max_length=10, description="Or a code sent to the phone")


class ChangePhone(BaseModel):
    phone: Phone = Field(min_length=9, max_length=20, description="The new number; a code is sent to it")
    current_password: str | None = Field(None, max_length=128, description="Needed when the account has one")


class ConfirmPhoneChange(BaseModel):
    code: Text = Field(min_length=4, max_length=10)


class ConsentNoticeView(BaseModel):
    version: str = Field(examples=["3f9a1c2b7d4e"], description="Derived from the text: a changed text is a new"
                         " version")
    text: str = Field(description="The notice in Vietnamese; Markdown headings (##, ###), lists (-) and paragraphs")


class Session(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    participant_id: str


class ParticipantView(BaseModel):
    id: str
    full_name: str
    phone: str | None
    email: str | None
    phone_verified: bool
    email_verified: bool
    unit_code: str
    unit_name: str
    category: str
    birth_year: int
    registered_at: datetime


class UnitView(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    headcount: int


class UnitMember(BaseModel):
    id: str
    full_name: str
    phone_masked: str | None
    unit_code: str
    category: str
    phone_verified: bool
    registered_at: datetime


class UnitMembers(BaseModel):
    unit_code: str
    headcount: int
    registered: int
    members: list[UnitMember]


class GrantRole(BaseModel):
    participant_id: Text = Field(min_length=3, max_length=64)
    role: Literal["coordinator", "organiser", "operator"]
    unit_code: Text | None = Field(None, max_length=64)
    contest_id: Text | None = Field(None, max_length=64)


class RoleGrantView(BaseModel):
    id: int
    participant_id: str
    full_name: str
    role: str
    unit_code: str | None
    contest_id: str | None
    granted_by: str | None
    granted_at: datetime
