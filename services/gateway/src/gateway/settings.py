from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 8000
    registration_url: str = Field("http://127.0.0.1:8001", description="Registration service")
    exam_url: str = Field("http://127.0.0.1:8002", description="Exam service")
    scoring_url: str = Field("http://127.0.0.1:8003", description="Scoring service")
    notify_url: str = Field("http://127.0.0.1:8004", description="Notification service")
    upstream_timeout_s: float = Field(15.0, description="How long to wait for a service")
