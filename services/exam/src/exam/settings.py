from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class ExamSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAM_", extra="ignore")

    port: int = 8002
    database_url: str = "postgresql://postgres@127.0.0.1:5432/exam"
    database_pool_size: int = 20
    submission_grace_s: int = Field(60, description="Submissions are accepted this long after the deadline")
    sweep_every_s: float = Field(2.0, description="How often expired attempts are closed by the server")
    submissions_in_flight_max: int = Field(
        512, ge=1, description="Submissions one process works on at once; more are refused with 503 and Retry-After")
    busy_retry_after_s: int = Field(1, ge=1, description="Shortest Retry-After given with a refused submission")
    busy_retry_after_max_s: int = Field(
        20, ge=1, description="Longest Retry-After: the spread of retries grows up to it while refusals outnumber"
                              " admissions; keep it well within the grace period")
    submission_list_max: int = Field(
        200, ge=1, description="Most submissions committed together in one statement (group commit)")
    submission_lists_at_once: int = Field(
        2, ge=1, description="Lists of submissions committing at once; a submission arriving meanwhile waits for"
                             " the next list")
