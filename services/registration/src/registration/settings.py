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
    token_ttl_s: int = Field(12 * 3600, description="Lifetime of an access token")

    def private_key_pem(self) -> str:
        if self.jwt_private_key:
            return self.jwt_private_key
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        raise ValueError("no token private key configured (REGISTRATION_JWT_PRIVATE_KEY[_FILE])")
