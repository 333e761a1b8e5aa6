"""Load the illustrative seed data set: a folder of CSV files in the workbook format, read by the workbook importer.

Loading is idempotent: records are matched by their natural keys (slugs, measure + month) and only missing ones
are added, so a second load changes nothing and a value corrected in the app is never overwritten. Every file is
checked before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from models.workbook import SHEETS, Issue, import_workbook, read_csv_folder

SEED_FILES = SHEETS
SEED_REASON = "Loaded from the illustrative seed data set"


class SeedError(Exception):
    """A malformed seed row: names the file, line and column to fix."""

    def __init__(self, file: str, line: int, column: str | None, message: str, issues: list[Issue] | None = None):
        where = f"{file}, line {line}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column = file, line, column
        self.issues = issues or []

    @classmethod
    def of(cls, issues: list[Issue]) -> SeedError:
        """The error for the first fault of a seed folder (every fault is kept in `issues`)."""
        first = issues[0]
        file = f"{first.sheet}.csv" if first.sheet in SHEETS else first.sheet
        return cls(file, first.row, first.column or None, first.reason, issues)


@dataclass
class SeedReport:
    """How many records of each kind a load added and how many it found already there."""

    added: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per kind: added and unchanged counts."""
        return "\n".join(
            f"{kind}: {self.added.get(kind, 0)} added, {self.unchanged.get(kind, 0)} already present"
            for kind in SEED_FILES
        )


def load_seed(session: Session, folder: Path) -> SeedReport:
    """Validate the whole data set, then add what is missing in the caller's transaction; the caller commits."""
    report = import_workbook(session, read_csv_folder(Path(folder)), apply=True, actor="system",
                             update_existing=False, audit_action="seed.load", reason=SEED_REASON)
    if report.issues:
        raise SeedError.of(report.issues)
    return SeedReport(added=dict(report.created),
                      unchanged={kind: report.unchanged[kind] + report.changed[kind] for kind in SEED_FILES})
