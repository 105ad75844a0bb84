"""Email over SMTP (aiosmtplib). Failures are sorted: worth retrying (server down, 4xx) or not (5xx, a
bad address)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from ..config import Settings


class Temporary(Exception):
    """Try again later."""


class Permanent(Exception):
    """Never going to work: do not retry."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.s = settings

    async def send(self, *, to: str, subject: str, body: str, message_id: str) -> str:
        msg = EmailMessage()
        msg["From"] = self.s.mail_from
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        # One Message-ID per event and channel: if a crash makes us send twice, mail systems and
        # clients see the same message.
        msg["Message-ID"] = make_msgid(idstring=message_id, domain="dichvucong.haiphong.gov.vn")
        msg.set_content(body, charset="utf-8")
        try:
            errors, response = await aiosmtplib.send(
                msg,
                hostname=self.s.smtp_host,
                port=self.s.smtp_port,
                start_tls=self.s.smtp_starttls,
                username=self.s.smtp_username,
                password=self.s.smtp_password.get_secret_value() if self.s.smtp_password else None,
                timeout=self.s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [r.code for r in e.recipients]
            raise (Temporary if all(400 <= c < 500 for c in codes) else Permanent)(str(e)) from e
        except aiosmtplib.SMTPResponseException as e:
            raise (Temporary if 400 <= e.code < 500 else Permanent)(f"{e.code} {e.message}") from e
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            raise Temporary(repr(e)) from e  # connection refused, timeouts, dropped connections
        if errors:  # some recipient refused while others were accepted (we send to one)
            code, text = next(iter(errors.values()))
            raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {text}")
        return response
