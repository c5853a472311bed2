import pytest
from sqlalchemy import select

from catalog.models import AppendOnlyError, AuditEvent
from catalog.services.datasets import update_dataset, withdraw_dataset


def test_audit_events_cannot_be_changed_or_deleted(session, make_dataset):
    make_dataset()
    event = session.scalars(select(AuditEvent)).one()
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(AuditEvent)).one())
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_every_change_is_recorded_in_order(session, make_dataset, make_user):
    steward = make_user("steward", agencies=("DPH",))
    dataset = make_dataset(actor=steward)
    update_dataset(session, dataset.id, {"keyword": ["births"]}, session.merge(steward))
    update_dataset(session, dataset.id, {"keyword": ["births"]}, session.merge(steward))  # no-op
    withdraw_dataset(session, dataset.id, "harvest:test")
    session.commit()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == dataset.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["dataset.create", "dataset.update", "dataset.withdraw"]
    assert events[1].before == {"keyword": ["health", "hospitals"]}
    assert events[1].after == {"keyword": ["births"]}
    assert events[2].actor_label == "harvest:test" and events[2].after == {"status": "withdrawn"}
