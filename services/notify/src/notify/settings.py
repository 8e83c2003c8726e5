"""Settings of the notification service. The channel defaults point at the local stack's dev
mailbox (`python -m localstack.mailbox`), so nothing leaves the machine unless configured to."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/notify"
    smtp_host: str = Field("127.0.0.1", description="SMTP server that sends the e-mails")
    smtp_port: int = Field(1025, description="SMTP port (the dev mailbox listens on 1025)")
    smtp_username: str | None = Field(None, description="SMTP user name; none logs in anonymously")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS (required if on)")
    mail_from: str = Field("no-reply@hoithi.localhost", description="Sender address of the e-mails")
    sms_gateway_url: str = Field("http://127.0.0.1:8025/sms", description="HTTP gateway that sends the SMS")
    sms_gateway_token: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer <token>`")
    zns_url: str = Field("http://127.0.0.1:8025/zns", description="Zalo ZNS template-message endpoint")
    zns_access_token: SecretStr | None = Field(None, description="Zalo OA access token (header access_token)")
    zns_template_id_code: str = Field("", description="Approved ZNS template id of the verification code")
    send_batch_size: int = Field(20, description="One-time codes the urgent lane takes at once")
    bulk_batch_size: int = Field(200, description="Announcement messages the bulk lane takes at once")
    bulk_pool_size: int = Field(
        2, description="Database connections of the bulk lane, apart from the pool the codes and consumers use")
    rate_email_per_s: float = Field(200.0, description="Announcement e-mails per second at most (0: no limit)")
    rate_sms_per_s: float = Field(100.0, description="Announcement SMS per second at most (0: no limit)")
    rate_zns_per_s: float = Field(100.0, description="Announcement Zalo messages per second at most (0: no limit)")
    public_url: str = Field("http://127.0.0.1:8000", description="The web front's address, quoted in messages")
    delivery_report_token: SecretStr | None = Field(
        None, description="Bearer token providers present with delivery reports; none refuses every report")
    dispatch_every_s: float = Field(2.0, description="How often due announcements and reminders are looked for")
    overdue_sweep_every_s: float = Field(
        5.0, description="How often queued messages that expired or used up their attempts are given up")
    max_attempts: int = Field(5, description="Sending attempts before a delivery is given up as failed")
    retry_backoff_s: float = Field(5.0, description="Wait before the first retry; doubles each retry, up to 5 min")
