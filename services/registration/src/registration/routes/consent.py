"""The personal-data notice a person agrees to, for any form that asks for consent."""

from __future__ import annotations

from fastapi import APIRouter

from kit.deps import RuntimeDep
from registration.schemas import ConsentNoticeView

router = APIRouter(tags=["consent"])


@router.get("/consent-notice", response_model=ConsentNoticeView)
async def consent_notice(runtime: RuntimeDep) -> ConsentNoticeView:
    """The current notice; send its version back as consent_version with the consent."""
    notice = runtime.consent_notice
    return ConsentNoticeView(version=notice.version, text=notice.text)
