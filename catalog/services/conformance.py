"""Evaluate datasets against the standards, store results and scores, take dated snapshots.

Reads go through Core ``select`` of plain columns and writes through bulk Core statements, so a full
evaluation of 100,000 datasets needs no ORM objects. The per-dataset 0-100 score (weighted share of
applicable rules passed) goes to ``Dataset.conformance_score`` with a Core UPDATE that leaves the
steward's ``version`` and ``updated_at`` alone.

Harvests call ``take_snapshot(session)`` after a run; edits are evaluated through the
``datasets_changed`` listener that ``catalog.standards.init_app`` connects.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from catalog.db import analyze, any_of
from catalog.models import (
    STATUS_ACTIVE,
    Agency,
    ConformanceResult,
    ConformanceSnapshot,
    Dataset,
    Distribution,
    LinkCheck,
    User,
)
from catalog.models._common import utcnow
from catalog.permissions import can_see_internal
from catalog.services import changes
from catalog.standards import FAIL, NOT_APPLICABLE, PASS, RuleSet, current_rule_set
from catalog.standards.kinds import KINDS

log = logging.getLogger(__name__)

CHUNK = 1000
_D = Dataset.__table__.c
RECORD_COLUMNS = (
    "id", "agency_id", "status", "conformance_score", "identifier", "title", "description",
    "keyword", "modified", "modified_at", "publisher_name", "contact_name", "contact_email",
    "access_level", "rights", "license", "spatial", "temporal", "accrual_periodicity", "theme",
    "landing_page", "described_by", "described_by_type", "issued", "data_quality",
    "system_of_records", "language", "conforms_to", "references", "is_part_of", "bureau_code",
    "program_code", "primary_it_investment_uii", "columns", "steward_name", "steward_email",
    "classification", "review_status", "dcat3", "version", "updated_at",
)  # fmt: skip
DIST_COLUMNS = (
    "title", "description", "access_url", "download_url", "media_type", "format", "conforms_to",
    "described_by", "described_by_type",
)  # fmt: skip


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def score(outcomes: Iterable[tuple[str, int]]) -> int | None:
    """Weighted share of applicable rules passed, 0-100; None when no rule applies."""
    earned = possible = 0
    for status, weight in outcomes:
        if status == NOT_APPLICABLE:
            continue
        possible += weight
        if status == PASS:
            earned += weight
    return round(100 * earned / possible) if possible else None


def evaluate_datasets(
    session: Session, ids: list[str], rule_set: RuleSet, *, replace: bool = True
) -> int:
    """Evaluate these datasets now and store results and scores; returns how many were evaluated.

    Withdrawn or missing datasets lose their results. ``replace=False`` skips deleting earlier
    results (the caller has). The caller commits.
    """
    rule_set.context["now"] = utcnow()
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = list(dict.fromkeys(ids[start : start + CHUNK]))
        done += _evaluate_chunk(session, chunk, rule_set, replace=replace)
    return done


def evaluate_all(session: Session, rule_set: RuleSet) -> int:
    """Evaluate every active dataset (results of withdrawn ones are removed). The caller commits."""
    if session.get_bind().dialect.name == "sqlite":
        # A million result rows go into a B-tree keyed by agency and rule: a 64 MB page cache
        # (for this connection) keeps those inserts in memory instead of re-reading pages.
        session.execute(text("PRAGMA cache_size = -65536"))
    session.execute(delete(ConformanceResult.__table__))  # Core: no rows fetched back
    # Batches of datasets are read by id: with no statistics (a table just loaded) PostgreSQL
    # scans the whole table for each batch instead of using the primary key.
    analyze(session, "dataset", "distribution", "link_check")
    ids = list(
        session.scalars(
            select(Dataset.id).where(Dataset.status == STATUS_ACTIVE).order_by(Dataset.id)
        )
    )
    changes.note(session, ids)  # scores changed: the search index follows
    done = evaluate_datasets(session, ids, rule_set, replace=False)
    analyze(session, "conformance_result", "dataset")  # the dashboard's plans need the new sizes
    return done


RESULT_COLUMNS = (
    "dataset_id", "rule_id", "agency_id", "access_level", "standard", "principle", "weight",
    "status", "message", "rule_set_version", "evaluated_at",
)  # fmt: skip


def _insert_results(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Write result rows the fastest way the driver offers: COPY on PostgreSQL (psycopg), a
    driver-level executemany on SQLite (at a million rows SQLAlchemy's per-row parameter handling
    costs more than the database does), a multi-row Core INSERT elsewhere."""
    connection = session.connection()
    dialect = connection.dialect
    table = ConformanceResult.__table__
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = connection.connection.driver_connection.cursor()
        columns = ", ".join(RESULT_COLUMNS)
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if dialect.paramstyle == "qmark":
        sql = (
            f"INSERT INTO {table.name} ({', '.join(RESULT_COLUMNS)}) "  # noqa: S608 - fixed names
            f"VALUES ({', '.join(['?'] * len(RESULT_COLUMNS))})"
        )
        connection.exec_driver_sql(sql, rows)
        return
    session.execute(insert(table), [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in rows])


def _evaluate_chunk(session: Session, ids: list[str], rule_set: RuleSet, *, replace: bool) -> int:
    records = _load_records(
        session, ids, with_links=any(r.kind == "link_check" for r in rule_set.rules)
    )
    # Only outcomes that changed are written: a nightly re-harvest that changes every record's
    # dates rewrites a rule or two per dataset, not all of them.
    stored = _stored_results(session, ids) if replace else {}
    now = rule_set.context["now"]
    if session.get_bind().dialect.name == "sqlite":
        now = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores DateTime on SQLite
    rows: list[tuple[Any, ...]] = []
    stale: list[tuple[str, str]] = []
    scores: list[dict[str, Any]] = []
    for record in records:
        outcomes = []
        for rule in rule_set.rules:
            if rule.applies_to(record["access_level"]):
                status, message = rule.checker.check(record)
            else:
                status, message = NOT_APPLICABLE, "Does not apply at this access level."
            # A standard that is not scored (a readiness preview) is shown, not counted.
            outcomes.append((status, rule.weight if rule.scored else 0))
            row = (record["id"], rule.id, record["agency_id"], record["access_level"],
                   rule.standard, rule.principle, rule.weight, status, message,
                   rule.standard_version, now)  # fmt: skip
            before = stored.pop((record["id"], rule.id), None)
            if before == row[2:10]:
                continue
            if before is not None:
                stale.append((record["id"], rule.id))
            rows.append(row)
        new_score = score(outcomes)
        if new_score != record["conformance_score"]:
            scores.append({"b_id": record["id"], "b_score": new_score})
    stale += list(stored)  # rules no longer in the set, datasets withdrawn or gone
    if stale:
        _delete_results(session, stale)
    if rows:
        _insert_results(session, rows)
    if scores:
        _write_scores(session, scores)
    return len(records)


def _stored_results(session: Session, ids: list[str]) -> dict[tuple[str, str], tuple[Any, ...]]:
    r = ConformanceResult.__table__.c
    stored_columns = (r.agency_id, r.access_level, r.standard, r.principle, r.weight, r.status,
                      r.message, r.rule_set_version)  # fmt: skip
    return {
        (row[0], row[1]): tuple(row[2:])
        for row in session.execute(
            select(r.dataset_id, r.rule_id, *stored_columns).where(
                any_of(session, r.dataset_id, ids)
            )
        ).all()
    }


def _delete_results(session: Session, keys: list[tuple[str, str]]) -> None:
    table = ConformanceResult.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "DELETE FROM conformance_result c USING unnest(CAST(:d AS varchar[]), "
                "CAST(:r AS varchar[])) AS s(d, r) WHERE c.dataset_id = s.d AND c.rule_id = s.r"
            ),
            {"d": [k[0] for k in keys], "r": [k[1] for k in keys]},
        )
        return
    session.execute(
        delete(table).where(
            table.c.dataset_id == bindparam("b_d"), table.c.rule_id == bindparam("b_r")
        ),
        [{"b_d": d, "b_r": r} for d, r in keys],
    )


def _write_scores(session: Session, scores: list[dict[str, Any]]) -> None:
    """Each dataset's score, leaving ``updated_at`` and ``version`` alone. PostgreSQL: one
    statement over two arrays (an UPDATE per row cost more than the COPY of the results)."""
    table = Dataset.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "UPDATE dataset SET conformance_score = s.score "
                "FROM unnest(CAST(:ids AS varchar[]), CAST(:scores AS integer[])) AS s(id, score) "
                "WHERE dataset.id = s.id"
            ),
            {"ids": [s["b_id"] for s in scores], "scores": [s["b_score"] for s in scores]},
        )
        return
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(conformance_score=bindparam("b_score"), updated_at=table.c.updated_at),
        scores,
    )


def _load_records(session: Session, ids: list[str], *, with_links: bool) -> list[dict[str, Any]]:
    query = (
        select(
            *(_D[name] for name in RECORD_COLUMNS),
            Agency.name.label("agency_name"),
            Agency.code.label("agency_code"),
        )
        .join(Agency, Agency.id == _D.agency_id)
        .where(any_of(session, _D.id, ids), _D.status == STATUS_ACTIVE)
    )
    # Plain tuples zipped with the column names: RowMapping -> dict costs more than the query.
    keys = (*RECORD_COLUMNS, "agency_name", "agency_code")
    records = {}
    for row in session.execute(query):
        record = dict(zip(keys, row, strict=True))
        record["distributions"] = []
        record["series"] = []
        records[record["id"]] = record
    if not records:
        return []
    dist = Distribution.__table__.c
    dist_keys = ("dataset_id", *DIST_COLUMNS)
    for row in session.execute(
        select(dist.dataset_id, *(dist[name] for name in DIST_COLUMNS))
        .where(any_of(session, dist.dataset_id, list(records)))
        .order_by(dist.dataset_id, dist.position)
    ):
        records[row[0]]["distributions"].append(dict(zip(dist_keys, row, strict=True)))
    if with_links:
        urls = {
            u for record in records.values() for d in record["distributions"]
            if (u := d["download_url"] or d["access_url"])
        }  # fmt: skip
        status = _link_status(session, urls)
        for record in records.values():
            record["link_status"] = status
    return list(records.values())


def _link_status(session: Session, urls: set[str]) -> dict[str, tuple[bool, str]]:
    if not urls:
        return {}
    by_hash = {url_hash(url): url for url in urls}
    found: dict[str, tuple[bool, str]] = {}
    hashes = list(by_hash)
    for start in range(0, len(hashes), CHUNK):
        for row in session.execute(
            select(LinkCheck.url_hash, LinkCheck.ok, LinkCheck.detail).where(
                any_of(session, LinkCheck.url_hash, hashes[start : start + CHUNK])
            )
        ):
            found[by_hash[row.url_hash]] = (row.ok, row.detail)
    return found


def dataset_conformance(session: Session, dataset_id: str, rule_set: RuleSet) -> dict[str, Any]:
    """``{"score", "rule_set_version", "results": [{"rule", "status", "message", ...}]}``."""
    dataset_score = session.scalar(
        select(Dataset.conformance_score).where(Dataset.id == dataset_id)
    )
    stored = {
        row.rule_id: row
        for row in session.scalars(
            select(ConformanceResult).where(ConformanceResult.dataset_id == dataset_id)
        )
    }
    results = []
    for rule in rule_set.rules:
        row = stored.get(rule.id)
        if row is None:
            continue
        results.append(
            {
                "rule": rule.id,
                "title": rule.title,
                "standard": rule.standard,
                "principle": rule.principle,
                "kind": rule.kind,
                "status": row.status,
                "message": row.message,
                "how_to_fix": rule.how_to_fix if row.status == FAIL else None,
            }
        )
    return {"score": dataset_score, "rule_set_version": rule_set.version, "results": results}


# Record keys (``catalog.standards.kinds``) behind what others do not see of a non-public
# dataset: governance fields (steward, classification, review) and the access paths, columns and
# data dictionary that ``schemas.dataset.NON_PUBLIC_HIDDEN_FIELDS`` leaves out.
HIDDEN_ON_NON_PUBLIC = frozenset({
    "steward_name", "steward_email", "classification", "review_status", "distributions",
    "link_status", "columns", "described_by", "described_by_type", "system_of_records",
})  # fmt: skip
WITHHELD = "withheld"
WITHHELD_MESSAGE = (
    "This rule reads details of a non-public dataset that only its agency's stewards and the "
    "CDO see."
)


def conformance_for(session: Session, dataset: Dataset, viewer: User | None) -> dict[str, Any]:
    """The dataset's score and per-rule results, as the API and the dataset page show them.

    On a non-public dataset, a viewer who may not see its internals gets no outcome of a rule
    that reads a hidden field ("a steward is assigned", "1 link not checked yet"): status
    ``withheld`` and a message that says only that.
    """
    rule_set = current_rule_set()
    data = dataset_conformance(session, dataset.id, rule_set)
    if dataset.is_public or can_see_internal(viewer, dataset):
        return data
    rules = {rule.id: rule for rule in rule_set.rules}
    for item in data["results"]:
        rule = rules[item["rule"]]
        reads = KINDS[rule.kind].reads(rule.parameters)
        if reads is None or reads & HIDDEN_ON_NON_PUBLIC:
            item.update(status=WITHHELD, message=WITHHELD_MESSAGE, how_to_fix=None)
    return data


# ---------------------------------------------------------------------------------------------
# Snapshots


def _pct(passed: int, failed: int) -> float | None:
    return round(100 * passed / (passed + failed), 1) if passed + failed else None


def compute_figures(session: Session, rule_set: RuleSet) -> dict[str, Any]:
    """The roll-ups a snapshot stores, computed with GROUP BY queries."""
    public = case((_D.access_level == "public", 1), else_=0)
    standard_keys = [s.key for s in rule_set.standards]
    principle_keys = sorted(
        {r.principle for r in rule_set.rules}, key=lambda p: int(p[1:]) if p[1:].isdigit() else 0
    )
    agencies: dict[str, dict[str, Any]] = {}
    codes: dict[int, str] = {}
    for row in session.execute(
        select(
            Agency.id,
            Agency.code,
            Agency.name,
            func.count(_D.id),
            func.avg(_D.conformance_score),
            func.sum(public),
            func.avg(case((_D.access_level == "public", _D.conformance_score), else_=None)),
        )
        .join(Dataset, (Dataset.agency_id == Agency.id) & (Dataset.status == STATUS_ACTIVE))
        .group_by(Agency.id, Agency.code, Agency.name)
    ):
        agency_id, code, name, count, avg, public_count, public_avg = row
        codes[agency_id] = code
        agencies[code] = {
            "name": name,
            "datasets": count,
            "score": round(float(avg), 1) if avg is not None else None,
            "public_datasets": int(public_count or 0),
            "public_score": round(float(public_avg), 1) if public_avg is not None else None,
            "standards": dict.fromkeys(standard_keys),
            "principles": dict.fromkeys(principle_keys),
            "failures": {},
        }
    rule_by_id = {rule.id: rule for rule in rule_set.rules}
    rules = {rule.id: {PASS: 0, FAIL: 0, NOT_APPLICABLE: 0} for rule in rule_set.rules}
    # (scope, key) -> [passed weight, failed weight]
    weights: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    r = ConformanceResult
    for agency_id, rule_id, status, count in session.execute(
        select(r.agency_id, r.rule_id, r.status, func.count()).group_by(
            r.agency_id, r.rule_id, r.status
        )
    ):
        rule = rule_by_id.get(rule_id)
        code = codes.get(agency_id)
        if rule is None or code is None:
            continue
        rules[rule_id][status] = rules[rule_id].get(status, 0) + count
        if status == NOT_APPLICABLE:
            continue
        slot = 0 if status == PASS else 1
        for scope, key in (("standards", rule.standard), ("principles", rule.principle)):
            weights[(code, scope, key)][slot] += count * rule.weight
            weights[("*", scope, key)][slot] += count * rule.weight
        if status == FAIL:
            agencies[code]["failures"][rule_id] = count
    totals: dict[str, dict[str, Any]] = {
        "standards": dict.fromkeys(standard_keys),
        "principles": dict.fromkeys(principle_keys),
    }
    for (code, scope, key), (passed, failed) in weights.items():
        target = totals if code == "*" else agencies[code]
        target[scope][key] = _pct(passed, failed)
    return {
        "agencies": agencies,
        "standards": totals["standards"],
        "principles": totals["principles"],
        "rules": rules,
        "links": link_health(session),
    }


def link_health(session: Session) -> dict[str, int]:
    ok, broken = session.execute(
        select(
            func.coalesce(func.sum(case((LinkCheck.ok.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((LinkCheck.ok.is_(False), 1), else_=0)), 0),
        )
    ).one()
    urls = func.coalesce(Distribution.download_url, Distribution.access_url)
    total = (
        session.scalar(
            select(func.count(func.distinct(urls)))
            .join(Dataset, Dataset.id == Distribution.dataset_id)
            .where(Dataset.status == STATUS_ACTIVE, urls.is_not(None))
        )
        or 0
    )
    return {
        "ok": int(ok),
        "broken": int(broken),
        "unchecked": max(int(total) - int(ok) - int(broken), 0),
    }


def take_snapshot(session: Session, rule_set: RuleSet | None = None) -> ConformanceSnapshot:
    """Store today's roll-ups for the current rule-set version (replacing today's earlier one).

    Harvests call this after each run: ``take_snapshot(session)``; the caller commits.
    """
    if rule_set is None:
        from catalog.standards import current_rule_set

        rule_set = current_rule_set()
    figures = compute_figures(session, rule_set)
    count, avg = session.execute(
        select(func.count(_D.id), func.avg(_D.conformance_score)).where(_D.status == STATUS_ACTIVE)
    ).one()
    today = utcnow().date()
    snapshot = session.scalar(
        select(ConformanceSnapshot).where(
            ConformanceSnapshot.taken_on == today,
            ConformanceSnapshot.rule_set_version == rule_set.version,
        )
    )
    if snapshot is None:
        snapshot = ConformanceSnapshot(taken_on=today, rule_set_version=rule_set.version)
        session.add(snapshot)
    snapshot.taken_at = utcnow()
    snapshot.plan = ",".join(sorted({s.plan for s in rule_set.standards}))
    snapshot.dataset_count = int(count or 0)
    snapshot.score = round(float(avg), 1) if avg is not None else None
    snapshot.figures = figures
    session.flush()
    # The plan progress report reads these two snapshots only, so they are taken together.
    from catalog.services.plan_snapshots import take_plan_snapshot

    take_plan_snapshot(session, today)
    return snapshot


def iter_snapshots(session: Session, limit: int = 120) -> Iterator[ConformanceSnapshot]:
    """The latest snapshots, oldest first."""
    rows = session.scalars(
        select(ConformanceSnapshot).order_by(ConformanceSnapshot.taken_at.desc()).limit(limit)
    ).all()
    return iter(reversed(rows))
