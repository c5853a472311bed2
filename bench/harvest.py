"""Harvest benchmark: a generated DCAT-US 1.1 data.json harvested end to end, re-harvested
unchanged (ten times), then re-harvested with every record changed (its ``modified`` and its
description, as a Socrata portal does every night). Prints records/s for the first, unchanged and
changed runs, peak memory, and the database size after the first run and after ten unchanged ones.

    python bench/harvest.py             # 5,000 records
    python bench/harvest.py --n 100000  # the figures in docs/harvest.md
    python bench/harvest.py --n 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Uses a fresh SQLite database in a temporary folder unless --database-url is given (that database
is emptied first). Index listeners run as in production: one ``datasets_changed`` per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

THEMES = ["Health", "Transportation", "Education", "Public Safety", "Environment", "Finance"]
AGENCIES = [
    "Department of Public Health",
    "Department of Transportation",
    "Department of Labor",
    "Office of Policy and Management",
    "Some Unknown Board",
]


def generate(path: Path, n: int, revision: int = 0) -> None:
    """Write a data.json of ``n`` datasets (about 1.2 KB each), streamed to disk. Each
    ``revision`` changes every record's ``modified`` date and description."""
    with path.open("w") as out:
        out.write(
            '{"@type": "dcat:Catalog", "conformsTo": '
            '"https://project-open-data.cio.gov/v1.1/schema", "dataset": [\n'
        )
        for i in range(n):
            ident = f"https://data.example.gov/api/views/{i:04x}-bench"
            entry = {
                "@type": "dcat:Dataset",
                "identifier": ident,
                "title": f"Benchmark dataset {i}: inspections by town and year",
                "description": "Synthetic record for the harvest benchmark. " * 4
                + (f"Revision {revision}." if revision else ""),
                "keyword": ["benchmark", f"topic-{i % 97}", THEMES[i % len(THEMES)].lower()],
                "modified": f"{2024 + revision}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "issued": "2019-01-01",
                "publisher": {"@type": "org:Organization", "name": AGENCIES[i % len(AGENCIES)]},
                "contactPoint": {
                    "@type": "vcard:Contact",
                    "fn": "Data Officer",
                    "hasEmail": "mailto:data.officer@ct.gov",
                },
                "accessLevel": "public",
                "license": "https://creativecommons.org/publicdomain/zero/1.0/",
                "landingPage": f"https://data.example.gov/d/{i:04x}-bench",
                "theme": [THEMES[i % len(THEMES)]],
                "accrualPeriodicity": "R/P1M",
                "distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "mediaType": "text/csv",
                        "format": "CSV",
                        "downloadURL": f"{ident}/rows.csv?accessType=DOWNLOAD",
                    },
                    {
                        "@type": "dcat:Distribution",
                        "mediaType": "application/json",
                        "format": "JSON",
                        "downloadURL": f"{ident}/rows.json?accessType=DOWNLOAD",
                    },
                ],
            }
            out.write(json.dumps(entry))
            out.write(",\n" if i < n - 1 else "\n")
        out.write("]}\n")


class TreeMemory:
    """Samples the memory of this process and all its children (validation and index workers)
    together, every 0.2 s, from /proc; ``peak_mb`` is the largest sum seen. Proportional set size,
    so pages a forked worker shares with its parent count once."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self.at_peak: list[float] = []  # each process's share at the peak, largest first
        self._cpu: dict[int, list[float]] = {}  # other processes: [CPU at start, latest CPU]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def workers_cpu(self) -> float:
        """CPU seconds the other processes used during the job (sampled every 0.2 s, so a
        worker's last moments may be missed)."""
        return sum(latest - start for start, latest in self._cpu.values())

    def _run(self) -> None:
        while True:
            pids = _tree(os.getpid())
            first = not self._cpu
            for pid in pids[1:]:  # workers, and the workers of the validation fork server
                seen = self._cpu.setdefault(pid, [_cpu_of(pid) if first else 0.0, 0.0])
                seen[1] = max(seen[1], _cpu_of(pid))
            shares = [_pss_kb(pid) / 1024 for pid in pids]
            if sum(shares) > self.peak_mb:
                self.peak_mb = sum(shares)
                self.at_peak = sorted((s for s in shares if s), reverse=True)
            if self._stop.wait(0.2):
                return


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    """User + system CPU of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                pids += _tree(int(child))
    except OSError:
        pass
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def database_bytes(session) -> tuple[int, dict[str, int]]:
    """The database's size on disk, and the largest tables (indexes included)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        total = session.scalar(text("SELECT pg_database_size(current_database())"))
        rows = session.execute(
            text(
                "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
        return int(total), {name: int(size) for name, size in rows}
    session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    page = session.scalar(text("PRAGMA page_size"))
    total = session.scalar(text("PRAGMA page_count")) * page
    try:  # dbstat is compiled into most SQLite builds; sizes per table with its indexes
        rows = session.execute(
            text(
                "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
            )
        )
        tables = {name: int(size) for name, size in rows}
    except Exception:
        tables = {}
    return int(total), tables


def report_size(label: str, session, n: int) -> None:
    total, tables = database_bytes(session)
    top = sorted(tables.items(), key=lambda item: -item[1])[:5]
    parts = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in top)
    print(f"database size {label}: {total / 1e6:,.1f} MB = {total / n:,.0f} bytes per dataset")
    if parts:
        print(f"  largest tables (MB): {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="records to generate (default 5000)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--workers", type=int, default=None, help="validation processes")
    parser.add_argument(
        "--unchanged-runs", type=int, default=10, help="unchanged re-harvests (default 10)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    os.environ["CATALOG_INSTANCE_DIR"] = str(work)
    os.environ.setdefault("CATALOG_SECRET_KEY", "bench")
    data_json = work / "data.json"
    started = time.perf_counter()
    generate(data_json, args.n)
    print(
        f"generated {args.n} records ({data_json.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f}s"
    )

    from sqlalchemy import text

    from catalog import create_app
    from catalog.db import Base, db
    from catalog.services.bootstrap import init_catalog
    from catalog.services.harvest import add_source
    from harvesters import run_harvest

    config = {"ENV_NAME": "testing", "SECRET_KEY": "bench"}
    if args.workers is not None:
        config["HARVEST_WORKERS"] = args.workers
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
        with db.configure(args.database_url).begin() as conn:  # start from an empty database
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    app = create_app(config)
    with app.app_context():
        init_catalog(db.session, Path(app.config["CONFIG_DIR"]))
        db.session.commit()
        # A catalog in service has a search index: start from an empty one, so each batch is
        # indexed as it is saved (a missing index would be skipped and built by the first search).
        from search_index import get_store
        from search_index.service import rebuild

        rebuild(get_store(app), db.session)
        source = add_source(db.session, f"bench-{os.getpid()}", "dcat-us", str(data_json), "bench")
        db.session.commit()

        def timed(label: str, expect: str) -> None:
            t0, cpu0 = time.perf_counter(), _cpu_seconds()
            with TreeMemory() as memory:
                job = run_harvest(db.session, source, app.config)
            elapsed = time.perf_counter() - t0
            print(
                f"{label}: {job.status} {job.counts} in {elapsed:.1f}s = "
                f"{args.n / elapsed:,.0f} records/s"
            )
            if job.status != "succeeded" or getattr(job, expect) != args.n:
                print(job.error or f"expected {args.n} {expect}")
                sys.exit(1)
            view = get_store(app).view()
            indexed = view.n_live if view is not None else 0
            if indexed != args.n:
                print(f"the search index holds {indexed} datasets, not {args.n}")
                sys.exit(1)
            own, workers = _cpu_seconds() - cpu0, memory.workers_cpu
            parts = " + ".join(f"{share:,.0f}" for share in memory.at_peak)
            print(
                f"  peak memory, harvest and workers together: {memory.peak_mb:,.0f} MB ({parts})"
            )
            print(f"  CPU: harvest process {own:.1f} s, its workers {workers:.1f} s")

        timed("first harvest", "added")
        report_size("after the first harvest", db.session, args.n)
        for run in range(args.unchanged_runs):
            if run == 0:
                timed("unchanged re-harvest", "unchanged")
            else:
                job = run_harvest(db.session, source, app.config)
                assert job.status == "succeeded" and job.unchanged == args.n, job.counts
        if args.unchanged_runs:
            report_size(f"after {args.unchanged_runs} unchanged re-harvests", db.session, args.n)
        generate(data_json, args.n, revision=1)
        timed("changed re-harvest (every modified and description)", "updated")
        report_size("after the changed re-harvest", db.session, args.n)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak memory (max RSS) of the process: {peak_mb:,.0f} MB; "
        f"of its largest worker (validation or index): {workers_mb:,.0f} MB"
    )
    print(f"database: {app.config['DATABASE_URL']}")
    if not args.keep:
        import shutil

        db.session.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
