"""One writer per output prefix: a lease object ``PREFIX/_lock.json``.

Two runs pointed at the same prefix would interleave their commits (and their sweeps would delete
each other's uncommitted files). A run therefore takes the lease before it writes anything:

- it is created exclusively through the storage backend's lease store
  (:func:`webcurate.io.storage.lease_store`: a hard link of a complete file on a local disk, so
  no reader sees it empty; ``If-None-Match: *`` on S3, which S3 and S3-compatible stores answer
  with 412 when the object exists). A store without conditional create (``gs://``, ``hdfs://``)
  has no lease: its outputs rely on the commit protocol alone;
- its holder renews it every ``heartbeat_s`` (on S3 with ``If-Match`` on its own ETag, so a
  lease taken over meanwhile is noticed, never overwritten);
- a lease not renewed for ``ttl_s`` belongs to a dead run (a killed driver cannot release it)
  and is taken over, so a rerun after a crash is never blocked for long;
- otherwise the second run waits up to ``wait_s`` for the lease, then fails with one line naming
  the holder.

A holder that cannot renew (the store unreachable, its heartbeat thread dead, the lease taken
over after a stall longer than the ttl) has *lost* the lease: another run may now write the
prefix. Every commit and every sweep under a held prefix therefore calls :func:`check_lease`
first (:class:`webcurate.ledger.CommitLedger` does), which raises :class:`LeaseLost` once the
lease is lost or has gone unrenewed for ``ttl_s``, so the run stops before its next commit
instead of interleaving with the run that took over.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid

from webcurate.io import storage as st

LOCK_NAME = "_lock.json"
DEFAULT_TTL_S = 300.0
DEFAULT_HEARTBEAT_S = 30.0


log = logging.getLogger(__name__)

# The leases this process holds, by output prefix: check_lease() looks a commit's prefix up here.
_HELD: dict[str, OutputLock] = {}
_HELD_GUARD = threading.Lock()


class OutputLocked(ValueError):
    """Another live run holds the output prefix."""


class LeaseLost(RuntimeError):
    """This run no longer holds its output's lease: it must not commit or delete anything."""


def _within(uri: str, prefix: str) -> bool:
    uri, prefix = uri.rstrip("/"), prefix.rstrip("/")
    return uri == prefix or uri.startswith(prefix + "/")


def check_lease(uri: str) -> None:
    """Raise :class:`LeaseLost` when a lease this process holds over ``uri`` is lost.

    A prefix no lease of this process covers passes (library use without the CLI, or
    ``hdfs://`` outputs, which have no lease)."""
    with _HELD_GUARD:
        holders = [lock for prefix, lock in _HELD.items() if _within(uri, prefix)]
    for lock in holders:
        lock.check()


class OutputLock:
    def __init__(self, output: str, storage: st.StorageConfig, job: str = "",
                 ttl_s: float | None = None, heartbeat_s: float | None = None,
                 wait_s: float = 0.0):
        self.uri = st.join_uri(output, LOCK_NAME)
        self.output, self.storage, self.job = output, storage, job
        self.ttl_s = DEFAULT_TTL_S if ttl_s is None else ttl_s
        self.heartbeat_s = DEFAULT_HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self.wait_s = wait_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._etag: str | None = None
        self._store = None  # the backend's lease store, looked up by acquire()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed_at = 0.0  # time.monotonic() of the last successful create or renewal
        self.lost: str | None = None  # why the lease was lost, once it is

    # --- the lease object ------------------------------------------------------------------

    def _payload(self) -> bytes:
        return json.dumps({"owner": self.owner, "job": self.job, "heartbeat": time.time(),
                           "ttl_s": self.ttl_s}).encode()

    def _create(self) -> bool:
        """Create the lease if absent; False when somebody holds it."""
        token = self._store.create(self.uri, self._payload())
        if token is None:
            return False
        self._etag = token
        return True

    def _read(self) -> tuple[dict | None, str | None]:
        """(the current lease, its version token), or (None, None) when there is none."""
        lease = self._store.read(self.uri)
        if lease is None:
            return None, None
        try:
            return json.loads(lease.body), lease.token
        except ValueError:  # unreadable lease: it ages from its file time, never from zero
            return {"owner": "?", "heartbeat": lease.modified}, lease.token

    def _replace(self, etag: str | None) -> bool:
        """Overwrite the lease we hold (or take an expired one); False if it changed hands."""
        token = self._store.replace(self.uri, self._payload(), etag)
        if token is None:
            return False
        self._etag = token
        return True

    # --- acquire, renew, release -----------------------------------------------------------

    def acquire(self) -> OutputLock:
        self._store = st.lease_store(self.uri, self.storage)
        if self._store is None:
            return self  # gs://, hdfs://: no exclusive create here; the commit protocol only
        deadline = time.monotonic() + self.wait_s
        while True:
            if self._create():
                break
            lease, etag = self._read()
            if lease is None:
                continue  # released meanwhile: try again at once
            age = time.time() - float(lease.get("heartbeat", 0))
            if age > float(lease.get("ttl_s", self.ttl_s)) and self._replace(etag):
                time.sleep(0.05)  # two runs taking over one local lease: the last rename wins
                if (self._read()[0] or {}).get("owner") == self.owner:
                    break  # its holder had stopped renewing: a dead run
                continue
            if time.monotonic() >= deadline:
                raise OutputLocked(
                    f"output '{self.output}' is being written by another run "
                    f"({lease.get('job') or 'a job'} {lease.get('owner')}, renewed {age:.0f} s "
                    f"ago); wait for it, or let its lease expire ({lease.get('ttl_s')} s) if it "
                    f"died")
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self._renewed_at = time.monotonic()
        self._thread = threading.Thread(target=self._renew, name="webcurate-lease", daemon=True)
        self._thread.start()
        with _HELD_GUARD:
            _HELD[self.output.rstrip("/")] = self
        return self

    def _renew_once(self) -> str | None:
        """Renew the lease; the reason it is lost, or None when renewed."""
        lease, etag = self._read()
        if lease is None:
            return "its lease object was deleted"
        if lease.get("owner") != self.owner:
            return f"run {lease.get('owner')} took it over"
        if not self._replace(etag):
            return "it changed hands while being renewed"
        self._renewed_at = time.monotonic()
        return None

    def _renew(self) -> None:
        """The heartbeat. A failing renewal (store unreachable) is retried at the next beat; once
        no renewal has succeeded for ``ttl_s`` another run may take over, so the lease counts as
        lost from then on, even if a later renewal would go through."""
        while not self._stop.wait(self.heartbeat_s):
            try:
                reason = self._renew_once()
            except Exception as err:
                log.warning("could not renew the lease on %s: %s: %s", self.output,
                            type(err).__name__, err)
                reason = None
            if reason is None and time.monotonic() - self._renewed_at > self.ttl_s:
                reason = f"it was not renewed for {self.ttl_s:g} s"
            if reason is not None:
                self.lost = reason
                return

    def check(self) -> None:
        """Raise :class:`LeaseLost` if the lease is lost, or stale beyond ``ttl_s`` (a
        heartbeat thread that died or stalls cannot hide that)."""
        if self._thread is None:
            return
        if self.lost is None and time.monotonic() - self._renewed_at > self.ttl_s:
            self.lost = f"it was not renewed for {self.ttl_s:g} s"
        if self.lost is not None:
            raise LeaseLost(f"lost the lease on output '{self.output}' ({self.lost}): another "
                            f"run may be writing it; stopped before committing")

    def release(self) -> None:
        if self._thread is None:
            return
        with _HELD_GUARD:
            if _HELD.get(self.output.rstrip("/")) is self:
                del _HELD[self.output.rstrip("/")]
        self._stop.set()
        self._thread.join(timeout=5)
        if self.lost is not None:
            return  # somebody else's lease now: leave it
        lease, _ = self._read()
        if lease is not None and lease.get("owner") == self.owner:
            self._store.delete(self.uri)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
