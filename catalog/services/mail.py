"""E-mail for notices, through the SMTP server named by ``CATALOG_SMTP_URL``.

``smtp://[user:password@]host[:port]`` (plain, port 25), ``smtp+starttls://…`` (STARTTLS, port
587) or ``smtps://…`` (TLS from the start, port 465). Without a URL nothing is sent and notices
stay in the catalog only.

Each notice is claimed before it is sent (an update only one sender wins), so two workers
running the mail job at once never send it twice; a send that fails is released with the
reason and tried again by the next run, up to ``MAX_TRIES`` times.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.errors import ServiceError
from catalog.models import Notice, User
from catalog.models._common import utcnow

log = logging.getLogger(__name__)
MAX_TRIES = 5
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    sender: str
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ServiceError(
                f"CATALOG_SMTP_URL must be smtp://, smtp+starttls:// or smtps://HOST[:PORT], "
                f"got {parts.scheme or 'no scheme'}://{parts.hostname or ''}"
            )
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
        )

    def connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
        if self.username:
            server.login(self.username, self.password or "")
        return server


def compose(notice: Notice, to: str, settings: SmtpSettings, site_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = f"[CT data catalog] {notice.subject}"
    link = f"\n\n{site_url.rstrip('/')}{notice.link}" if notice.link else ""
    message.set_content(
        f"{notice.body}{link}\n\n-- \nThe Connecticut State Data Catalog. Your notices: "
        f"{site_url.rstrip('/')}/notices\n"
    )
    return message


def send_pending(session: Session, settings: SmtpSettings, site_url: str, limit: int = 500) -> int:
    """Send the notices not yet e-mailed. Commits after each one. Returns how many were sent."""
    rows = session.execute(
        select(Notice.id, User.email, Notice.email_error)
        .join(User, User.id == Notice.user_id)
        .where(Notice.emailed_at.is_(None), User.active.is_(True))
        .order_by(Notice.id)
        .limit(limit)
    ).all()
    pending = [(nid, email) for nid, email, error in rows if _tries(error) < MAX_TRIES]
    if not pending:
        return 0
    sent = 0
    server = settings.connect()
    try:
        for notice_id, email in pending:
            claimed = session.execute(
                update(Notice)
                .where(Notice.id == notice_id, Notice.emailed_at.is_(None))
                .values(emailed_at=utcnow())
            ).rowcount
            session.commit()
            if not claimed:
                continue
            notice = session.get(Notice, notice_id)
            try:
                server.send_message(compose(notice, email, settings, site_url))
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("notice %s to %s not sent: %s", notice_id, email, exc)
                notice.emailed_at = None
                notice.email_error = _bump(notice.email_error, f"{type(exc).__name__}: {exc}")
                session.commit()
                if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
                    break  # the connection is gone: the next run tries the rest
                continue
            notice.email_error = None
            session.commit()
            sent += 1
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return sent


def _tries(error: str | None) -> int:
    """Failed sends so far, kept as "[N] reason" in ``email_error``."""
    return int(error.split(" ", 1)[0].strip("[]")) if error and error.startswith("[") else 0


def _bump(previous: str | None, reason: str) -> str:
    return f"[{_tries(previous) + 1}] {reason}"[:2000]
