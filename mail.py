"""Outgoing email over SMTP, configured by the MAIL_* settings (see app.load_settings): reminders of missing
figures and one-time password links."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any


class MailConfigError(Exception):
    """The MAIL_* settings cannot send email; the message says which setting to fix."""


@dataclass(frozen=True)
class MailSettings:
    """Where and how to hand messages to the city's mail server."""

    server: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    sender: str

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        """Read and check the MAIL_* settings of an app's configuration."""
        server = (config.get("MAIL_SERVER") or "").strip()
        if not server:
            raise MailConfigError("MAIL_SERVER is not set: set it (and MAIL_PORT, MAIL_FROM, and MAIL_USERNAME, "
                                  "MAIL_PASSWORD and MAIL_USE_TLS=1 if the server needs them) to the city's SMTP "
                                  "server, e.g. export MAIL_SERVER=smtp.example.org MAIL_PORT=587 MAIL_USE_TLS=1.")
        raw_port = str(config.get("MAIL_PORT") or "25").strip()
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise MailConfigError(f"MAIL_PORT must be a port number such as 25, 465 or 587, not {raw_port!r}.")
        sender = (config.get("MAIL_FROM") or "").strip()
        if "@" not in sender:
            raise MailConfigError(f"MAIL_FROM must be an email address the server accepts, e.g. "
                                  f"recoverystat@example.org, not {sender!r}.")
        return cls(server=server, port=int(raw_port), username=config.get("MAIL_USERNAME") or None,
                   password=config.get("MAIL_PASSWORD") or None, use_tls=bool(config.get("MAIL_USE_TLS")),
                   sender=sender)


def send_message(settings: MailSettings, message: EmailMessage, *, timeout: float = 30) -> dict[str, Any]:
    """Send one message; returns the recipients the server refused (empty when all were accepted).

    Port 465 speaks TLS from the start; otherwise MAIL_USE_TLS upgrades the connection with STARTTLS. Raises
    smtplib.SMTPException or OSError when the message could not be handed over at all.
    """
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.port == 465:
        smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=timeout)
    with smtp:
        if settings.use_tls and settings.port != 465:
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        return dict(smtp.send_message(message))


def mail_settings_or_none(config: Any) -> MailSettings | None:
    """The MAIL_* settings when they can send email, else None (the caller then does without email)."""
    try:
        return MailSettings.from_config(config)
    except MailConfigError:
        return None


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
