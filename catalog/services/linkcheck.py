"""Check distribution links on demand, with bounded concurrency, into the ``link_check`` cache.

Never called from a page view: ``python manage.py conformance links`` and the scheduled link-check
job run it, then re-evaluate the datasets whose links were checked so the ``links-reachable`` rule
reads fresh answers.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from catalog.guards import outbound
from catalog.models import STATUS_ACTIVE, Dataset, Distribution, LinkCheck
from catalog.models._common import utcnow
from catalog.services.conformance import url_hash

log = logging.getLogger(__name__)
USER_AGENT = "ct-data-catalog-linkcheck/1.0 (+https://data.ct.gov)"


@dataclass(frozen=True)
class LinkAnswer:
    url: str
    ok: bool
    status_code: int | None
    detail: str


def urls_to_check(session: Session, max_age: timedelta, limit: int | None = None) -> list[str]:
    """Distinct distribution URLs of active datasets not checked within ``max_age``."""
    url = func.coalesce(Distribution.download_url, Distribution.access_url)
    urls = session.scalars(
        select(url)
        .join(Dataset, Dataset.id == Distribution.dataset_id)
        .where(Dataset.status == STATUS_ACTIVE, url.is_not(None))
        .distinct()
    ).all()
    fresh_since = utcnow() - max_age
    fresh = set(session.scalars(select(LinkCheck.url).where(LinkCheck.checked_at >= fresh_since)))
    todo = sorted(u for u in urls if u not in fresh)
    return todo[:limit] if limit else todo


def check_url(
    http: requests.Session, url: str, timeout: float, policy: outbound.Policy
) -> LinkAnswer:
    """HEAD the URL (GET when HEAD is refused); 2xx answers count as reachable. Redirects are
    followed through the outbound guard, so no hop reaches an address the catalog may not."""
    try:
        response = outbound.fetch(http, "HEAD", url, policy, timeout=timeout)
        response.close()
        if response.status_code in (403, 405, 501):
            response = outbound.fetch(http, "GET", url, policy, timeout=timeout)
            response.close()
    except outbound.AddressRefused:
        # Never say more: the answer ends up in a public conformance message.
        return LinkAnswer(url, False, None, "address refused")
    except outbound.TooManyRedirects:
        return LinkAnswer(url, False, None, "too many redirects")
    except requests.RequestException as exc:
        return LinkAnswer(url, False, None, type(exc).__name__)
    ok = response.status_code < 400
    return LinkAnswer(url, ok, response.status_code, f"HTTP {response.status_code}")


def check_links(
    session: Session,
    urls: list[str],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    allow_private: bool = False,
) -> list[LinkAnswer]:
    """Check ``urls`` with at most ``concurrency`` requests in flight; store the answers."""
    policy = outbound.Policy(allow_private=allow_private)
    local = threading.local()  # requests.Session is not thread-safe: one per worker thread
    opened: list[requests.Session] = []

    def check(url: str) -> LinkAnswer:
        if not hasattr(local, "http"):
            local.http = outbound.new_session(policy, USER_AGENT)
            opened.append(local.http)
        return check_url(local.http, url, timeout, policy)

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            answers = list(pool.map(check, urls))
    finally:
        for http in opened:
            http.close()
    now = utcnow()
    for start in range(0, len(answers), 500):
        batch = answers[start : start + 500]
        session.execute(
            delete(LinkCheck).where(LinkCheck.url_hash.in_([url_hash(a.url) for a in batch]))
        )
        rows = [
            {"url_hash": url_hash(a.url), "url": a.url, "ok": a.ok,
             "status_code": a.status_code, "detail": a.detail[:255], "checked_at": now}
            for a in batch
        ]  # fmt: skip
        session.execute(insert(LinkCheck), rows)
    return answers


def datasets_with_urls(session: Session, urls: list[str]) -> list[str]:
    ids: set[str] = set()
    for start in range(0, len(urls), 500):
        batch = urls[start : start + 500]
        ids.update(
            session.scalars(
                select(Distribution.dataset_id).where(
                    or_(Distribution.download_url.in_(batch), Distribution.access_url.in_(batch))
                )
            )
        )
    return sorted(ids)


def run_link_checks(
    session: Session,
    *,
    max_age: timedelta = timedelta(hours=24),
    limit: int | None = None,
    concurrency: int = 8,
    timeout: float = 10.0,
    allow_private: bool = False,
) -> tuple[list[LinkAnswer], int]:
    """Check the links not checked within ``max_age``, then re-evaluate the datasets that have
    them (the ``links-reachable`` rule reads the fresh answers). What ``conformance links`` and
    the scheduled link-check job run. Returns the answers and how many datasets were evaluated.
    The caller commits."""
    from catalog.services.conformance import evaluate_datasets
    from catalog.standards import current_rule_set

    urls = urls_to_check(session, max_age, limit)
    answers = check_links(
        session, urls, concurrency=concurrency, timeout=timeout, allow_private=allow_private
    )
    evaluated = evaluate_datasets(session, datasets_with_urls(session, urls), current_rule_set())
    return answers, evaluated
