"""Datasets written in batches: what a harvest or an inventory upload saves.

The rules of ``datasets.py`` (agency scope, field ownership and sign-off, an audit event per
change, ``datasets_changed``) carried out with bulk Core statements, never one ORM object per
row, so that a batch of a thousand records costs a few statements. Each function takes the
batch, writes it and returns what happened to each item; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from catalog import events
from catalog.db import any_of
from catalog.models import (
    GOVERNANCE_FIELDS,
    SIGN_OFF_FIELDS,
    STATUS_ACTIVE,
    STATUS_WITHDRAWN,
    Agency,
    AuditEvent,
    Dataset,
    Distribution,
)
from catalog.models._common import new_public_id, utcnow
from catalog.services.audit import actor_label
from catalog.services.datasets import parse_modified
from catalog.services.ownership import (
    DISTRIBUTION_FIELDS,
    OWNED_COLUMNS,
    direct_changes,
    load_rows,
    sign_off_changes,
    write_moves,
)

_T = Dataset.__table__
# Columns a harvest writes on an existing dataset (sign-off fields wait for a decision).
_WRITTEN = tuple(name for name in OWNED_COLUMNS if name not in SIGN_OFF_FIELDS)


@dataclass
class SourceSays:
    """What a source says about one dataset. ``key`` is its identifier in the catalog (for a new
    dataset) and the key of the results; ``values`` comes from ``ownership.source_form``."""

    key: str
    values: dict[str, Any]
    agency_id: int
    dataset_id: str | None = None  # the dataset to update; None: create one
    reinstate: bool = False  # the source lists again a dataset its harvest withdrew


@dataclass
class BatchResult:
    saved: dict[str, str] = field(default_factory=dict)  # key -> dataset id
    changed: set[str] = field(default_factory=set)  # keys whose dataset was written
    taken: dict[str, str] = field(default_factory=dict)  # create: identifier already in use
    refused: dict[str, str] = field(default_factory=dict)  # key -> why (agency scope)
    proposed: dict[str, list[str]] = field(default_factory=dict)  # key -> fields held for sign-off


def scope_message(session: Session, agency_id: int, scope: Collection[int]) -> str:
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    allowed = ", ".join(sorted(codes.get(a, "?") for a in scope))
    return (
        f"This record names agency {codes.get(agency_id, agency_id)}; this source writes only "
        f"into {allowed}'s datasets. Nothing was changed."
    )


def create_datasets(
    session: Session,
    items: list[SourceSays],
    actor: str,
    *,
    scope: Collection[int] | None = None,
) -> BatchResult:
    """Create a dataset for each item, with its distributions and a ``dataset.create`` event.

    An identifier already in the catalog is not created again: it comes back in ``taken`` (the
    caller links it). ``scope``: agency ids this batch may write into; others are ``refused``.
    """
    result = BatchResult()
    if not items:
        return result
    found = session.execute(
        select(_T.c.identifier, _T.c.id, _T.c.agency_id).where(
            any_of(session, _T.c.identifier, [item.key for item in items])
        )
    )
    existing = {identifier: (dataset_id, agency) for identifier, dataset_id, agency in found}
    now = utcnow()
    datasets, distributions, audits = [], [], []
    for item in items:
        if item.key in existing:
            dataset_id, agency_id = existing[item.key]
            if scope is not None and agency_id not in scope:
                result.refused[item.key] = scope_message(session, agency_id, scope)
            else:
                result.taken[item.key] = dataset_id
            continue
        if scope is not None and item.agency_id not in scope:
            result.refused[item.key] = scope_message(session, item.agency_id, scope)
            continue
        values = item.values
        dataset_id = new_public_id()
        row = {name: values[name] for name in OWNED_COLUMNS}
        row.update(
            id=dataset_id,
            identifier=item.key,
            agency_id=item.agency_id,
            status=STATUS_ACTIVE,
            version=1,
            created_at=now,
            updated_at=now,
            withdrawn_at=None,
            modified_at=parse_modified(values["modified"]),
        )
        datasets.append(row)
        distributions += [
            {"dataset_id": dataset_id, "position": position, **dist}
            for position, dist in enumerate(values["distribution"])
        ]
        after = {"identifier": item.key, **{name: values[name] for name in OWNED_COLUMNS}}
        after.update(dict.fromkeys(GOVERNANCE_FIELDS))
        after.update(agency=values["agency"], status=STATUS_ACTIVE)
        after["distribution"] = values["distribution"]
        audits.append(_audit(actor, "dataset.create", dataset_id, None, after, now))
        result.saved[item.key] = dataset_id
        result.changed.add(item.key)
        existing[item.key] = (dataset_id, item.agency_id)  # a repeat in the batch links
    _insert(session, _T, datasets)
    _insert(session, Distribution.__table__, distributions)
    _insert(session, AuditEvent.__table__, audits)
    _changed(session, [row["id"] for row in datasets])
    return result


def update_from_source(
    session: Session,
    items: list[SourceSays],
    actor: str,
    *,
    source_id: int | None = None,
    job_id: int | None = None,
    scope: Collection[int] | None = None,
) -> BatchResult:
    """Bring datasets in line with what their owning source says now.

    Fields without an override are written; for overridden ones only the override's record of
    the source's value moves; a new value for a sign-off field becomes a pending change (one per
    field, replaced when the source changes its mind, dropped when it comes back to the dataset's
    value). Changed datasets get ``version + 1`` and a ``dataset.update`` (or
    ``dataset.reinstate``) event with the changed values; new proposals a
    ``dataset.change_proposed`` event.
    """
    result = BatchResult()
    ids = [item.dataset_id for item in items if item.dataset_id]
    if not ids:
        return result
    current = _load_current(session, ids)
    overrides, pending = load_rows(session, ids)
    now = utcnow()
    rows, audits, new_dists, dist_ids = [], [], [], []
    moves: dict[str, list[Any]] = {
        "override_source": [],  # (override id, new source value)
        "override_drop": [],  # override ids
        "pending_add": [],  # rows
        "pending_update": [],  # (pending id, proposed)
        "pending_drop": [],  # pending ids
    }
    for item in items:
        now_values = current.get(item.dataset_id or "")
        if now_values is None:
            continue  # deleted meanwhile: nothing to update
        if scope is not None and not {now_values["agency_id"], item.agency_id} <= set(scope):
            outside = item.agency_id if item.agency_id not in scope else now_values["agency_id"]
            result.refused[item.key] = scope_message(session, outside, scope)
            continue
        result.saved[item.key] = item.dataset_id
        ov = overrides.get(item.dataset_id, {})
        pe = pending.get(item.dataset_id, {})
        changes = direct_changes(item.values, now_values, ov, moves)
        proposals = sign_off_changes(
            item.dataset_id, item.values, now_values, ov, pe, moves, source_id, job_id, now
        )
        reinstate = item.reinstate and now_values["status"] == STATUS_WITHDRAWN
        if proposals:
            result.proposed[item.key] = list(proposals)
            before = {name: now_values[name] for name in proposals}
            audits.append(
                _audit(actor, "dataset.change_proposed", item.dataset_id, before, proposals, now)
            )
        if not changes and not reinstate:
            continue
        result.changed.add(item.key)
        new = {**now_values, **changes}
        before = {name: now_values[name] for name in changes}
        after = dict(changes)
        if reinstate:
            new.update(status=STATUS_ACTIVE, withdrawn_at=None)
            before["status"], after["status"] = STATUS_WITHDRAWN, STATUS_ACTIVE
        columns = [name for name in _WRITTEN if name in changes]
        if "modified" in changes:
            columns.append("modified_at")
            new["modified_at"] = parse_modified(new["modified"])
        if reinstate:
            columns += ["status", "withdrawn_at"]
        rows.append({"b_id": item.dataset_id, **{f"b_{name}": new[name] for name in columns}})
        if "distribution" in changes:
            dist_ids.append(item.dataset_id)
            new_dists += [
                {"dataset_id": item.dataset_id, "position": position, **dist}
                for position, dist in enumerate(changes["distribution"])
            ]
        action = "dataset.reinstate" if reinstate else "dataset.update"
        audits.append(_audit(actor, action, item.dataset_id, before, after, now))
    _update_rows(session, rows, now)
    if dist_ids:
        dist = Distribution.__table__
        session.execute(delete(dist).where(any_of(session, dist.c.dataset_id, dist_ids)))
        _insert(session, dist, new_dists)
    write_moves(session, moves)
    _insert(session, AuditEvent.__table__, audits)
    _changed(session, [row["b_id"] for row in rows])
    return result


def withdraw_datasets(session: Session, dataset_ids: list[str], actor: str) -> list[str]:
    """Withdraw the active ones of these datasets (``version + 1``, a ``dataset.withdraw``
    event each); returns the ids withdrawn."""
    if not dataset_ids:
        return []
    now = utcnow()
    withdrawn = list(
        session.scalars(
            update(_T)
            .where(any_of(session, _T.c.id, dataset_ids), _T.c.status == STATUS_ACTIVE)
            .values(
                status=STATUS_WITHDRAWN,
                withdrawn_at=now,
                updated_at=now,
                version=_T.c.version + 1,
            )
            .returning(_T.c.id)
        )
    )
    _insert(
        session,
        AuditEvent.__table__,
        [
            _audit(
                actor,
                "dataset.withdraw",
                dataset_id,
                {"status": STATUS_ACTIVE},
                {"status": STATUS_WITHDRAWN},
                now,
            )
            for dataset_id in withdrawn
        ],
    )
    _changed(session, withdrawn)
    return withdrawn


# ----------------------------------------------------------------------------------------------


def _update_rows(session: Session, rows: list[dict[str, Any]], now: Any) -> None:
    """One UPDATE per set of changed columns (a nightly re-harvest changes the same two or three
    in every record): only what changed is sent, ``version + 1`` for each row."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, group in groups.items():
        columns = [key.removeprefix("b_") for key in keys if key != "b_id"]
        session.execute(
            update(_T)
            .where(_T.c.id == bindparam("b_id"))
            .values(
                version=_T.c.version + 1,
                updated_at=now,
                **{name: bindparam(f"b_{name}") for name in columns},
            ),
            group,
        )


def _load_current(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The owned values of these datasets, locked until the batch commits (PostgreSQL)."""
    columns = ("id", "version", "status", "withdrawn_at", "agency_id", *OWNED_COLUMNS)
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    query = (
        select(*(_T.c[name] for name in columns))
        .where(any_of(session, _T.c.id, ids))
        .with_for_update()
    )
    current = {}
    for row in session.execute(query).all():
        values = dict(zip(columns, row, strict=True))
        values["agency"] = codes.get(values["agency_id"])
        values["distribution"] = []
        current[values["id"]] = values
    dist = Distribution.__table__.c
    for row in session.execute(
        select(dist.dataset_id, *(dist[name] for name in DISTRIBUTION_FIELDS))
        .where(any_of(session, dist.dataset_id, list(current)))
        .order_by(dist.dataset_id, dist.position)
    ).all():
        current[row[0]]["distribution"].append(dict(zip(DISTRIBUTION_FIELDS, row[1:], strict=True)))
    return current


def _audit(actor: str, action: str, dataset_id: str, before: Any, after: Any, now: Any) -> dict:
    return {
        "occurred_at": now,
        "actor_id": None,
        "actor_label": actor_label(actor),
        "action": action,
        "entity_type": "dataset",
        "entity_id": dataset_id,
        "before": before,
        "after": after,
    }


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), rows)


def _changed(session: Session, ids: list[str]) -> None:
    if ids:
        events.datasets_changed.send("datasets", ids=ids, session=session)
