from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    port: int = 8003
    database_url: str = "postgresql://postgres@127.0.0.1:5432/scoring"
    redis_url: str = "redis://127.0.0.1:6379/0"
    final_ranking_settle_s: int = Field(
        180, description="Wait after a round closes before its final ranking (the last attempts close at the deadline"
                         " plus the grace period)")
    finalise_every_s: float = Field(15.0, description="How often closed rounds are looked for")
    consume: bool = Field(
        True, description="Consume events, relay the outbox and compute final rankings; false serves HTTP only (boards,"
                          " rank lookups, results) from PostgreSQL and Redis, apart from the processes that drain")
