from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/notify"
