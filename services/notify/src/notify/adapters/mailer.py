"""Email over SMTP (aiosmtplib). Failures are sorted: worth retrying (server down, 4xx) or not (5xx, a
bad address)."""

from __future__ import annotations

import socket
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

import aiosmtplib

from ..config import Settings


class Temporary(Exception):
    """Try again later."""


class Permanent(Exception):
    """Never going to work: do not retry."""


# Vietnamese text in quoted-printable: readable in the raw message, 7-bit safe.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP


def message(*, sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    """The email as it goes on the wire. Built with the ``compat32`` API: the modern ``EmailMessage``
    re-folds every header through its parser, which made sending the notify worker's busiest work."""
    msg = MIMEText(body, "plain", UTF8_QP)
    msg["From"] = formataddr(parseaddr(sender), charset="utf-8")  # only the display name is encoded
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = formatdate(localtime=False)
    # One Message-ID per event and channel: if a crash makes us send twice, mail systems and clients
    # see the same message.
    msg["Message-ID"] = make_msgid(idstring=message_id, domain="dichvucong.haiphong.gov.vn")
    return msg.as_bytes()


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        # The name this host gives in EHLO, looked up once (aiosmtplib would look it up per message).
        self.helo = socket.getfqdn()

    async def send(self, *, to: str, subject: str, body: str, message_id: str) -> str:
        raw = message(sender=self.s.mail_from, to=to, subject=subject, body=body, message_id=message_id)
        try:
            errors, response = await aiosmtplib.send(
                raw,
                sender=self.s.mail_from,
                recipients=[to],
                local_hostname=self.helo,
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
