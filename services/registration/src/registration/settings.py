from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore")

    port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/registration"
    jwt_private_key_file: Path | None = Field(None, description="PEM file of the token-signing private key")
    jwt_private_key: str | None = Field(None, description="PEM of the token-signing private key")
    token_ttl_s: int = Field(900, description="Lifetime of an access token (short: logout cannot recall it)")
    refresh_token_ttl_s: int = Field(30 * 86400, description="Lifetime of a refresh token")
    code_ttl_s: int = Field(300, description="Lifetime of a one-time code")
    code_attempts: int = Field(5, description="Wrong tries before a one-time code is void")
    code_resend_after_s: int = Field(60, description="Wait before another code may be sent")
    codes_per_hour: int = Field(5, description="Codes one account may be sent per hour and purpose")
    rate_register: str = Field("20/minute;200/hour", description="Registrations per client address")
    rate_register_per_phone: str = Field("5/hour", description="Registration tries per phone number")
    rate_login_per_phone: str = Field(
        "10/minute;50/hour",
        description="Log-in tries per phone number; as many password checks per account behind a session")
    rate_login_per_client: str = Field("60/minute", description="Log-in tries per client address")
    rate_codes_per_phone: str = Field("5/hour", description="Code requests per phone number")
    rate_codes_per_client: str = Field(
        "30/hour", description="Code requests per client address (log-in, reset, verification, erasure, phone change)")
    consent_notice_file: Path | None = Field(
        None, description="The organising committee's own personal-data notice (UTF-8 text, Markdown headings and"
        " lists); the built-in one otherwise. Its version is a hash of its text")
    trust_forwarded_for: bool = Field(
        True, description="Take the client address from X-Forwarded-For (set by the gateway, on an internal network)")

    def private_key_pem(self) -> str:
        if self.jwt_private_key:
            return self.jwt_private_key
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        raise ValueError("no token private key configured (REGISTRATION_JWT_PRIVATE_KEY[_FILE])")
