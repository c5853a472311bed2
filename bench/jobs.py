"""Queue benchmark: four sources of 25,000 records each, harvested by one Celery worker, then by
two, on PostgreSQL with Redis as the broker. Prints each throughput and their ratio.

    python bench/jobs.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs
    python bench/jobs.py --n 5000 --database-url ...   # a quick look

Each round starts from an empty database and an empty search index, registers the four sources,
starts the workers (``manage.py worker`` with CATALOG_BROKER_URL, each its own process, as on
separate hosts), queues the four jobs at once and times until all four have succeeded. The
queue name (and Redis key prefix) is unique to the run; its keys are deleted at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
SOURCES = 4


def generate(folder: Path, n: int) -> list[Path]:
    spec = importlib.util.spec_from_file_location("bench_harvest", PROJECT / "bench" / "harvest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plain = folder / "plain.json"
    module.generate(plain, n)
    text = plain.read_text()
    paths = []
    for k in range(SOURCES):
        path = folder / f"source-{k}.json"
        path.write_text(text.replace("-bench", f"-src{k}"))  # each source its own identifiers
        paths.append(path)
    plain.unlink()
    return paths


def manage(args: list[str], env: dict) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=env,
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed: {result.stderr[-2000:]}")


def reset(database_url: str) -> None:
    from sqlalchemy import text

    import catalog.models  # noqa: F401  (every table in Base.metadata)
    from catalog.db import Base, make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def round_(workers: int, paths: list[Path], args: argparse.Namespace, work: Path) -> float:
    from sqlalchemy import create_engine, text

    instance = work / f"instance-{workers}"
    instance.mkdir()
    queue = f"bench-jobs-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "CATALOG_INSTANCE_DIR": str(instance),
        "CATALOG_DATABASE_URL": args.database_url,
        "CATALOG_BROKER_URL": args.redis_url,
        "CATALOG_QUEUE_NAME": queue,
        "CATALOG_SECRET_KEY": "bench",
        "CATALOG_ENV": "testing",
    }
    reset(args.database_url)
    manage(["init"], env)
    manage(["index", "rebuild"], env)
    for k, path in enumerate(paths):
        manage(["sources", "add", f"src{k}", "--kind", "dcat-us", "--url", str(path)], env)
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--no-beat", "--loglevel", "WARNING"],
            cwd=PROJECT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    database = create_engine(args.database_url)
    try:
        time.sleep(3)  # let the workers connect to the broker
        from catalog import create_app
        from catalog.db import db
        from catalog.services.harvest import list_sources
        from catalog.services.harvest_jobs import queue_job

        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": args.database_url,
                          "INSTANCE_DIR": str(instance), "SECRET_KEY": "bench",
                          "BROKER_URL": args.redis_url, "QUEUE_NAME": queue})  # fmt: skip
        started = time.perf_counter()
        with app.app_context():
            ids = []
            for source in list_sources(db.session):
                job, _new = queue_job(db.session, source, "bench", trigger="api")
                db.session.commit()
                ids.append(job.id)
            for job_id in ids:
                app.extensions["job_queue"].enqueue_harvest(job_id)
            db.session.remove()
        from search_index import IndexStore

        store = IndexStore(instance / "index")
        while True:
            with database.connect() as conn:
                states = conn.execute(text("SELECT status FROM harvest_job")).scalars().all()
            if all(s in ("succeeded", "failed") for s in states):
                break
            time.sleep(0.5)
        # Done means searchable: a job is marked succeeded before its last index batches are
        # merged, so the clock stops when this host's index holds every record.
        while _indexed(store) < SOURCES * args.n:
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        store.close()
        with database.connect() as conn:
            datasets = conn.execute(text("SELECT count(*) FROM dataset")).scalar()
            workers_used = conn.execute(
                text("SELECT count(DISTINCT worker) FROM harvest_job")
            ).scalar()
        if "failed" in states or datasets != SOURCES * args.n:
            sys.exit(f"round with {workers} worker(s): {states}, {datasets} datasets")
        app.extensions["job_queue"].close()
        with database.connect() as conn:
            for name, seconds, worker in conn.execute(
                text(
                    "SELECT s.name, extract(epoch FROM j.finished_at - j.started_at), j.worker "
                    "FROM harvest_job j JOIN harvest_source s ON s.id = j.source_id ORDER BY j.id"
                )
            ):
                print(f"  {name}: {float(seconds):.1f} s on {worker.rsplit(':', 2)[1]}")
        rate = datasets / elapsed
        print(
            f"{workers} worker(s): {datasets:,} records in {elapsed:.1f} s = "
            f"{rate:,.0f} records/s ({workers_used} worker processes used)"
        )
        return datasets / elapsed
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        database.dispose()
        import redis

        client = redis.Redis.from_url(args.redis_url)
        for key in client.scan_iter(match=f"{queue}:*", count=1000):
            client.delete(key)
        client.close()


def _indexed(store) -> int:
    store.invalidate()
    view = store.view()
    return view.n_live if view is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=25_000, help="records per source (25,000)")
    parser.add_argument("--database-url", required=True, help="PostgreSQL (emptied each round)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--order",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[1, 2],
        help="rounds to run, by number of workers (default 1,2; try 2,1)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    started = time.perf_counter()
    paths = generate(work, args.n)
    print(f"generated {SOURCES} sources of {args.n:,} records in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    rates = {}
    for workers in args.order:
        rates[workers] = round_(workers, paths, args, work)
    print(f"two workers / one worker: {rates[2] / rates[1]:.2f}x")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
