from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base

UNASSIGNED_CODE = "UNASSIGNED"


class Agency(Base):
    """An executive-branch agency; datasets, stewards and reports belong to one."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    data_officer_name: Mapped[str | None] = mapped_column(String(255))
    data_officer_email: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"
