"""The durable change sequence that derived copies of datasets (the search index) follow.

Every commit that writes datasets takes the next value of ``change_sequence`` and stamps each
dataset it touched with it in ``dataset_change`` (one row per dataset, the latest stamp; a
dataset deleted for good keeps its row as a tombstone). A follower that holds everything up to
value S asks for the rows stamped after S. Values are taken while committing, under the
counter's row lock, so they become visible in the order they were taken (see
``catalog.services.changes``). ``epoch`` changes when the sequence starts again (an emptied or
restored database): a follower from another epoch starts again too.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class ChangeSequence(Base):
    __tablename__ = "change_sequence"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1: one counter
    value: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[str] = mapped_column(String(32))


class DatasetChange(Base):
    __tablename__ = "dataset_change"

    dataset_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
