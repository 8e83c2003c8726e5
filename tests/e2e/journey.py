"""A participant's steps through the gateway's HTTP API, as the web front takes them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import random_phone

OFFICIAL_ROUND = "cds-cchc-2024-tuan-1"


@dataclass
class Participant:
    gateway: str
    name: str = "Trần Thị Bình"
    unit_code: str = "BP-DX-TANPHU"
    phone: str = field(default_factory=random_phone)
    password: str = "Matkhau@2024"
    token: str = ""
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.gateway, timeout=30)

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def register(self) -> httpx.Response:
        answer = self.client.post("/api/participants", json={
            "full_name": self.name, "phone": self.phone, "birth_year": 1988, "unit_code": self.unit_code,
            "category": "can-bo-cong-chuc-vien-chuc", "password": self.password, "consent": True})
        if answer.status_code == 201:
            self.token = answer.json()["access_token"]
        return answer

    def log_in(self) -> httpx.Response:
        answer = self.client.post("/api/sessions", json={"phone": self.phone, "password": self.password})
        if answer.status_code == 200:
            self.token = answer.json()["access_token"]
        return answer

    def code_in_mailbox(self, mailbox_url: str, timeout: float = 30) -> str:
        """The newest code that reached this participant's phone, read as a person reads the dev mailbox."""
        e164 = "+84" + self.phone[1:]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = [m["text"] for m in httpx.get(mailbox_url + "/messages.json", timeout=10).json()
                     if m.get("to") == e164]
            if texts:
                return re.findall(r"\b(\d{6})\b", texts[-1])[0]
            time.sleep(0.3)
        raise AssertionError(f"no code reached {e164} within {timeout} s")

    def verify_phone(self, code: str) -> httpx.Response:
        return self.client.post("/api/participants/me/verifications/confirm", json={"code": code}, headers=self.auth)

    def start(self, round_id: str = OFFICIAL_ROUND) -> dict[str, Any]:
        answer = self.client.post(f"/api/rounds/{round_id}/attempts", headers=self.auth)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def save(self, attempt_id: str, answers: dict[str, list[str]]) -> httpx.Response:
        return self.client.put(f"/api/attempts/{attempt_id}/answers", json={"answers": answers}, headers=self.auth)

    def submit(self, attempt_id: str, prediction: int | None = 100) -> httpx.Response:
        return self.client.post(f"/api/attempts/{attempt_id}/submission", json={"prediction": prediction},
                                headers=self.auth)

    def result(self, attempt_id: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for the scored result; scoring works asynchronously, behind the broker."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.client.get(f"/api/attempts/{attempt_id}/result", headers=self.auth)
            if answer.status_code == 200 and answer.json()["status"] == "scored":
                return dict(answer.json())
            time.sleep(0.2)
        raise AssertionError(f"no result for {attempt_id} within {timeout} s")

    def inbox(self, wanted: int = 1, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            box = self.client.get("/api/inbox", headers=self.auth).json()
            if len(box["messages"]) >= wanted:
                return dict(box)
            time.sleep(0.2)
        raise AssertionError(f"fewer than {wanted} inbox messages within {timeout} s")
