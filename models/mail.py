"""Sending a one-time password link by email (stdlib smtplib), when the server has a mail relay configured.

Settings (from the environment): MAIL_SERVER, MAIL_PORT (587), MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS (1),
MAIL_FROM. Without MAIL_SERVER and MAIL_FROM no email is sent and the admin passes the link on themselves.
"""
from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

SEND_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send mail."""

    server: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    sender: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """The settings in an app's configuration, or None when mail is not configured."""
        server, sender = config.get("MAIL_SERVER"), config.get("MAIL_FROM")
        if not server or not sender:
            return None
        return cls(server=str(server), port=int(config.get("MAIL_PORT") or 587),
                   username=config.get("MAIL_USERNAME") or None, password=config.get("MAIL_PASSWORD") or None,
                   use_tls=str(config.get("MAIL_USE_TLS", "1")).lower() not in ("0", "false", "no", ""),
                   sender=str(sender))


def link_message(settings: MailSettings, *, to: str, display_name: str, link: str, purpose: str,
                 expires: str) -> EmailMessage:
    """The email that carries a one-time link."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    if purpose == "reset":
        message["Subject"] = "RecoveryStat: set a new password"
        opening = "The performance team has reset your RecoveryStat password. Set a new one with this link:"
    else:
        message["Subject"] = "RecoveryStat: your account is ready"
        opening = ("The performance team has made you a RecoveryStat account, East Baton Rouge's flood recovery "
                   "dashboard. Set your password with this link:")
    message.set_content(
        f"Hello {display_name},\n\n{opening}\n\n{link}\n\nThe link works once and expires on {expires}. If it has "
        "expired, ask the performance team for a new one. If you did not expect this email, ignore it.\n\n"
        "RecoveryStat\n")
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Send one message through the configured relay (STARTTLS when asked); raises OSError/SMTPException."""
    with smtplib.SMTP(settings.server, settings.port, timeout=SEND_TIMEOUT_SECONDS) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)
