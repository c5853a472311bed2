"""gunicorn reads this file from the folder it is started in (``gunicorn 'catalog:create_app()'``).

Search needs no slow first request: before any worker starts, the master catches the search index
up with the database (building it if it is missing: no request ever waits for a build, and the
worker timeout does not apply to the master); then each worker, before it takes traffic, opens the
index, pages in what searches read, runs a first search and starts its follower thread
(``search_index.warm_up``). The index files are memory-mapped read-only, so the workers share
them through the page cache.
"""

from __future__ import annotations


def on_starting(server) -> None:
    from search_index import prepare

    prepare()


def post_worker_init(worker) -> None:
    from flask import Flask

    from search_index import warm_up

    if isinstance(worker.wsgi, Flask):
        warm_up(worker.wsgi, timeout=20)
