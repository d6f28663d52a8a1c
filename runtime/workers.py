"""Worker processes that never outlive their parent's interrupt.

``statc check`` runs its seeds in a pool of forked processes.  On Ctrl-C the
terminal sends SIGINT to the whole process group; a worker busy in a Numba
kernel would only notice when the kernel returns, and a
:class:`concurrent.futures.ProcessPoolExecutor` waits for running tasks on
shutdown.  Here the workers ignore SIGINT, and the parent, on any exception
(KeyboardInterrupt included), terminates them (SIGTERM acts at once, inside
compiled code too) and joins them before the exception propagates.
"""
from __future__ import annotations

import multiprocessing as mp
import multiprocessing.pool
import signal
from contextlib import contextmanager
from typing import Iterator


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def pool(jobs: int) -> Iterator[mp.pool.Pool]:
    """A pool of `jobs` forked workers, terminated if the body raises, joined on exit."""
    workers = mp.get_context("fork").Pool(jobs, initializer=_ignore_sigint)
    try:
        yield workers
        workers.close()
    except BaseException:
        workers.terminate()
        raise
    finally:
        workers.join()
