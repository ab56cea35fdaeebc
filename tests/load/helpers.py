"""Helpers for the load tests: a worker-style session, and jobs released on many threads at once."""
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from models.db import ALL_ORGS


def new_session(app) -> Session:
    """A session that reads every org unit, as the worker's does."""
    s = Session(app.extensions["sc_engine"], expire_on_commit=False)
    s.info["org_scope"] = ALL_ORGS
    return s


def run_at_once(n_workers: int, jobs):
    """Run the jobs on many threads released together; return (results, errors)."""
    barrier = threading.Barrier(min(n_workers, len(jobs)))
    results, errors = [], []
    lock = threading.Lock()

    def worker(job):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        try:
            out = job()
            with lock:
                results.append(out)
        except Exception as e:  # noqa: BLE001 - counted and inspected by the test
            with lock:
                errors.append(e)

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        list(pool.map(worker, jobs))
    return results, errors
