"""HTTP request and response bodies (not events)."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field


class RegisterParticipant(BaseModel):
    full_name: str = Field(min_length=2, max_length=120, examples=["Nguyễn Văn An"])
    phone: str = Field(min_length=9, max_length=20, examples=["0912 345 678"])
    email: EmailStr | None = Field(None, max_length=254)
    birth_year: int = Field(ge=1900, le=2025, examples=[1990])
    unit_code: str = Field(min_length=1, max_length=64, examples=["BP-STTTT"])
    category: str = Field(max_length=64, examples=["can-bo-cong-chuc-vien-chuc"])
    password: str = Field(min_length=8, max_length=128)
    consent: bool = Field(description="Agrees to the contest's personal-data terms (Nghị định 13/2023/NĐ-CP)")


class LogIn(BaseModel):
    phone: str = Field(min_length=9, max_length=20)
    password: str = Field(min_length=1, max_length=128)


class Session(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    participant_id: str


class ParticipantView(BaseModel):
    id: str
    full_name: str
    unit_code: str
    unit_name: str
    category: str
    birth_year: int


class UnitView(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    headcount: int
