"""State that survives a restart or a crash: ``--state DIR`` / ``Config(state_dir=...)``.

The directory holds:

* ``state.db`` (SQLite, WAL mode): the **command log**, every exchange request that may have
  changed something (any signed request past the nonce check, refused ones too; any request
  while a counterparty script waits) and every admin write that succeeded, each with the mock
  clock's reading it was handled at, the answer's code and a checksum of the answer (an admin
  write also with the clock's state after it);
* ``checkpoint-<seq>.state``: the whole exchange after log record ``seq`` (a snapshot,
  :func:`mockserver.control.snapshot.dump`, plus what a snapshot leaves out and a restart must
  keep: the settings in force - the start-up settings a ``/reset`` rebuilds from and the data
  documents (markets, coins, rates) every decision was made under, run-time switches, rate-limit
  settings, fault rules, counterparty scripts), behind a header with its SHA-256. The newest two
  are kept, and the log since the older of them;
* ``restore-<sha256>.json``: a ``/restore`` document, written and fsynced in a worker thread
  before the restore is applied; its log record names it (kept while a kept record does).

A request is handled with the clock pinned to one reading (an admin ``/clock`` or ``/restore``
excepted), appended to the log in its own transaction and only then answered. Checkpoints are
written off the request path: once the log outgrows the last checkpoint (at least
:data:`COMPACT_MIN_BYTES`; at most :data:`COMPACT_EVERY` records) the request that crossed the
line takes a copy of the state (:func:`mockserver.control.snapshot.capture`, no encoding) and a
writer thread encodes it, writes it to a temporary file, fsyncs and renames it, reads it back
and verifies its checksum; only then are the older checkpoint and the log records it no longer
needs deleted. A crash at any point leaves a verified checkpoint and the log after it.

On start the newest checkpoint is verified and restored and the log after it replayed through
the same code (the exchange pipeline with its signature and nonce checks, the admin handlers
without the access rules) with the clock pinned to each recorded reading and the settings that
were in force then, so ids, fills and nonces come out exactly as they were acknowledged. Each
replayed answer is checked against the recorded one: a difference stops the start
(:class:`PersistError` naming the record and both answers). So does damage: a checkpoint whose
checksum fails, a log record whose checksum or JSON fails (an SQLite commit is atomic, so that
is never a torn write), a gap in the log, a restore document whose SHA-256 fails, and a log that
ends before the newest checkpoint (``state.db`` deleted or emptied, ``state.db-wal`` deleted:
acknowledged records are gone). ``BITUNIX_MOCK_STATE_FROM=previous`` starts from the previous
checkpoint instead (the log since it is kept, so nothing acknowledged is lost);
``BITUNIX_MOCK_STATE_FROM=checkpoint`` accepts a lost log and starts from the newest checkpoint.
Not detected: a lost log that still reaches the newest checkpoint, and a flipped byte in the
WAL file, which SQLite treats as a torn write (it drops that frame and every later one).

The state directory's settings win over the start-up flags: what was in force stays in force
(for the log's past and from now on, until the admin API changes it); each flag that differs is
reported at start (:attr:`Durable.resumed`, printed by the CLI) and otherwise ignored. So is a
``--markets`` file or an embedded data document that differs from the kept one.

Not kept: the request journal, rate-limit windows, and fault match counts and draws since the
last checkpoint (fault rules are kept). Steering done in-process (``Controller`` methods, the
clock object) is kept only from the next checkpoint: call :meth:`Durable.checkpoint`.

``synchronous=NORMAL`` (WAL): a commit has been written to the WAL file before the answer is
sent, so a killed process (``kill -9``, OOM, a CI timeout) loses nothing acknowledged; only an
OS crash or power loss can drop the last commits (never corrupt the file). ``FULL`` adds an
fsync per request (about 2 ms here); set ``BITUNIX_MOCK_STATE_SYNC=full`` to choose it.

If the log cannot be written the process stops at once (exit 70) rather than answer a change
it could not keep. Without a state directory none of this is imported.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..api.bodies import receive_body
from ..api.faults import FaultRule
from ..api.journal import Journal
from ..api.products import endpoint_at
from ..clock import Clock
from ..config import ADMIN_PREFIX, Config
from ..fidelity import SWITCHES
from .snapshot import Captured, SnapshotError, capture, encode, upgrade, yield_interpreter

if TYPE_CHECKING:
    from ..api.pipeline import Pipeline, RequestContext
    from ..api.reply import Reply
    from ..state import MockState

#: Builds a state from a snapshot document (``MockState.restore``, reached through the state's class).
Restore = Callable[[Config, Any], "MockState"]

__all__ = [
    "COMPACT_EVERY",
    "COMPACT_MIN_BYTES",
    "DB_NAME",
    "FORMAT",
    "FROM_ENV",
    "VERSION",
    "Durable",
    "PersistError",
    "Store",
    "attach",
]

log = logging.getLogger("mockserver.persist")

FORMAT = "bitunix-mock-state"
#: 2: checkpoints in checksummed files beside the log, settings in force kept; 1 (read, then upgraded): one row.
VERSION = 2
DB_NAME = "state.db"
#: Set to ``previous`` to start from the previous checkpoint when the newest one is damaged.
FROM_ENV = "BITUNIX_MOCK_STATE_FROM"
#: Logged requests after which a checkpoint replaces the log (one dump, about 10 ms on the default books).
COMPACT_EVERY = 50_000
#: A log this large (or as large as the last checkpoint, if larger) is compacted into a checkpoint.
COMPACT_MIN_BYTES = 2 << 20
#: ``BITUNIX_MOCK_STATE_COMPACT_BYTES=N``: compact every N log bytes whatever the checkpoint's size
#: (the crash tests set it small, so kills land while checkpoints are written).
COMPACT_FIXED_BYTES = int(os.environ.get("BITUNIX_MOCK_STATE_COMPACT_BYTES") or 0)
#: Log records deleted per transaction when a checkpoint makes them unnecessary (bounds a request's wait).
_TRIM_CHUNK = 2_000
#: Refusals raised before a nonce is spent or anything else is touched: never logged. The names are the shared
#: errors' (``RequestContext.refused_by``), whatever a product calls them in its own answer.
NO_EFFECT = frozenset(
    {
        "ApiKeyNotFound",
        "NonceInvalid",
        "RequestExpired",
        "SignatureError",
        "NonceReused",
        "TooFrequent",
        "NotFound",
        "MethodNotAllowed",
        "BodyTooLarge",
    }
)
#: The request headers a replay needs (auth and the ones the pipeline reads).
_KEPT_HEADERS = ("api-key", "nonce", "timestamp", "sign", "content-type")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CHECKPOINT_MAGIC = b"bitunix-mock-checkpoint"
_CHECKPOINT_NAME = re.compile(r"checkpoint-([0-9]{20})\.state")
#: A ``/restore`` document, kept beside the log (its record holds the name): written off the event loop.
_DOC_NAME = re.compile(r"restore-([0-9a-f]{64})\.json")
_RESTORE = ADMIN_PREFIX + "/restore"
#: The process exit status when a change cannot be made durable (EX_SOFTWARE).
EXIT_UNSAVED = 70
#: Admin writes that must not run with the clock pinned: ``/clock`` sets it, ``/restore`` replaces
#: it (and builds the new exchange in a worker thread while other requests are served).
_UNPINNED = frozenset({ADMIN_PREFIX + "/clock", ADMIN_PREFIX + "/restore"})


class PersistError(RuntimeError):
    """The state directory cannot be used (damaged, foreign, newer, locked, unwritable, diverging)."""


#: The rest of an admin handler, after the state directory's hook (mockserver.admin._op).
AdminRun = Callable[["MockState", Request], Awaitable[Response]]
Record = tuple[int, dict[str, Any], bytes]

# ------------------------------------------------------------------- storage


def _unwritable(path: Path, exc: OSError) -> PersistError:
    """The error for a state directory this process may not write, naming the fix."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    owner = None
    with contextlib.suppress(OSError):
        owner = (path if path.exists() else path.parent).stat().st_uid
    if exc.errno == errno.EROFS:
        fix = "it is on a read-only file system: mount a writable volume there (docker run -v NAME:/state)"
    else:
        fix = (
            f"this process runs as uid {uid}"
            + (f" and {_what(path)} belongs to uid {owner}" if owner is not None else "")
            + ": run the server as the uid that owns it"
            + (f" (docker run --user {owner})" if owner is not None else "")
            + f", or give uid {uid} write access (chown {uid} {path}), or mount a writable volume there"
        )
    return PersistError(f"{path} is not writable ({exc.strerror or exc}): {fix}")


def _what(path: Path) -> str:
    return "the directory" if path.is_dir() or not path.exists() else f"the file {path}"


def _check_writable(directory: Path) -> None:
    """Create and remove a file in ``directory``: the honest test (root, ACLs and read-only mounts included)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=directory)
    except OSError as exc:
        raise _unwritable(directory, exc) from None
    os.close(fd)
    os.unlink(probe)


def _lock(real: Path) -> int:
    """An exclusive lock on the database file itself (not on a name in the directory).

    Every path to the file - a symlink from another directory, a hard link, a deleted lock
    file's replacement - reaches the same inode, so a second server is refused whatever it
    was given. ``flock`` locks are independent of SQLite's own POSIX locks on the file.
    """
    try:
        fd = os.open(real, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _unwritable(real, exc) from None
    if sys.platform == "win32":  # pragma: no cover - no flock; one server per directory is on the user
        return fd
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise PersistError(f"{real} is in use by another bitunix-mock server (it holds the lock on the file)") from None
    return fd


def _write_synced(path: Path, *parts: bytes) -> None:
    """Write ``parts`` to ``path`` and fsync it (the rename that publishes it is the caller's)."""
    with path.open("wb") as fh:
        for part in parts:
            fh.write(part)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the last log record it includes
    path: Path


class Store:
    """The log (SQLite) and the checkpoint files beside it; holds the lock on the database file."""

    def __init__(self, path: Path, *, synchronous: str | None = None) -> None:
        self.path = path
        self.real = path.resolve()  # through symlinks: the lock and the checkpoints follow the file
        self.home = self.real.parent
        sync = (synchronous or os.environ.get("BITUNIX_MOCK_STATE_SYNC") or "normal").upper()
        if sync not in ("NORMAL", "FULL"):
            raise PersistError(f"BITUNIX_MOCK_STATE_SYNC must be normal or full, not {sync.lower()!r}")
        self._sync = sync
        self.legacy: bytes | None = None  # a version-1 file's checkpoint, until it is rewritten as a file
        accept_loss = os.environ.get(FROM_ENV, "").strip().lower() == "checkpoint"
        newest = self.checkpoints()[:1] if self.home.is_dir() else []
        if newest and not accept_loss and (not self.real.exists() or not self.real.stat().st_size):
            # Before anything creates a new, empty log in its place.
            raise self._log_lost(f"{path} is missing or empty", newest[0])
        if self.real.exists() and self.real.stat().st_size:
            with self.real.open("rb") as fh:  # before the lock: closing an fd would drop SQLite's locks
                if fh.read(16) != _SQLITE_MAGIC:
                    raise PersistError(f"{path} is not a bitunix-mock state file (not an SQLite database)")
        self._fd = _lock(self.real)
        self._write_lock = threading.Lock()  # one checkpoint write at a time (writer thread or caller)
        #: Restore documents written whose record is not appended yet: never removed as unreferenced.
        self.pending_docs: set[str] = set()
        self._aux: sqlite3.Connection | None = None
        try:
            self.db = self._connect()
            self._check_schema()
            if newest:
                self._check_log_reaches(newest[0], accept_loss)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise PersistError(f"{path} is unreadable or corrupt: {exc}") from None
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.real, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self._sync}")
        return db

    def _check_schema(self) -> None:
        db = self.db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            with self.transaction():
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute(
                    "CREATE TABLE log (seq INTEGER PRIMARY KEY, head BLOB NOT NULL, body BLOB NOT NULL,"
                    " crc INTEGER NOT NULL)"
                )
                db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("version", str(VERSION))])
            return
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        if meta.get("format") != FORMAT or "log" not in tables:
            raise PersistError(f"{self.path} is an SQLite database, but not a bitunix-mock state file")
        if meta.get("version") == "1" and "checkpoint" in tables:
            row = db.execute("SELECT doc FROM checkpoint WHERE id = 1").fetchone()
            self.legacy = None if row is None else bytes(row[0])
        elif meta.get("version") != str(VERSION):
            raise PersistError(
                f"{self.path} is state format version {meta.get('version')}; this mock reads version {VERSION}"
            )
        if (check := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
            raise PersistError(f"{self.path} is corrupt: {check}")

    def _check_log_reaches(self, newest: Checkpoint, accept_loss: bool) -> None:
        """The log goes at least as far as the newest checkpoint, or acknowledged records are gone.

        A checkpoint is written only after the records it includes were committed, and the log
        since the previous checkpoint is kept, so a log ending before the newest checkpoint lost
        its newest records (``state.db`` replaced, or ``state.db-wal`` deleted).
        """
        floor = self.db.execute("SELECT value FROM meta WHERE key = 'log_floor'").fetchone()
        last = max(self.last_seq(), int(floor[0]) if floor else 0)
        if last >= newest.seq:
            return
        if not accept_loss:
            raise self._log_lost(f"{self.path}: the log ends at record {last}", newest)
        log.warning(
            "state: %s=checkpoint: starting from %s; whatever the log held after record %d is lost",
            FROM_ENV, newest.path, newest.seq,
        )  # fmt: skip
        with self.transaction():  # the log now begins after it: later starts accept that
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('log_floor', ?)", (str(newest.seq),))

    def _log_lost(self, what: str, newest: Checkpoint) -> PersistError:
        return PersistError(
            f"{what}, but {newest.path.name} beside it holds the exchange after log record {newest.seq}: the "
            f"requests acknowledged after it are missing ({DB_NAME} or {DB_NAME}-wal deleted, emptied or "
            "replaced). Nothing was loaded. The way out: put the whole directory back from a copy (state.db "
            f"together with state.db-wal), or start once with {FROM_ENV}=checkpoint to start from "
            f"{newest.path.name} and give up whatever the log held after it, or start a fresh directory and "
            "POST /_mock/restore an export (GET /_mock/snapshot)."
        )

    def upgraded(self) -> None:
        """A version-1 file's checkpoint now lives in a checkpoint file: drop the old table."""
        if self.legacy is None and self.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0] == "2":
            return
        with self.transaction():
            self.db.execute("DROP TABLE IF EXISTS checkpoint")
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(VERSION),))
        self.legacy = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- the log
    def last_seq(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM log").fetchone()[0])

    def records_after(self, seq: int) -> list[Record]:
        """The log records after ``seq``, oldest first, each checked; any damage or gap refuses."""
        rows = self.db.execute("SELECT seq, head, body, crc FROM log WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
        records: list[Record] = []
        expected = seq + 1
        for n, head, body, crc in rows:
            head, body = bytes(head), bytes(body)
            way_out = (
                "Nothing was loaded. The record was committed, so it was acknowledged: this is damage, not a "
                "torn write. Start a fresh directory and POST /_mock/restore an export you saved "
                "(GET /_mock/snapshot), or keep this directory aside for inspection."
            )
            if n != expected:
                raise PersistError(f"{self.path}: log records {expected}..{n - 1} are missing. {way_out}")
            if zlib.crc32(head + body) != crc:
                raise PersistError(f"{self.path}: log record {n} fails its checksum. {way_out}")
            try:
                doc = orjson.loads(head)
                if not isinstance(doc, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                raise PersistError(f"{self.path}: log record {n} is unreadable ({exc}). {way_out}") from None
            if isinstance(doc.get("doc"), str):
                body = self.read_doc(n, doc["doc"])
            records.append((n, doc, body))
            expected += 1
        return records

    def append(self, seq: int, head: bytes, body: bytes) -> None:
        """One record, one transaction (committed when this returns)."""
        self.db.execute(
            "INSERT INTO log (seq, head, body, crc) VALUES (?, ?, ?, ?)", (seq, head, body, zlib.crc32(head + body))
        )

    # -- restore documents
    def _doc_path(self, sha: str) -> Path:
        return self.home / f"restore-{sha}.json"

    def write_doc(self, body: bytes) -> str:
        """Keep a ``/restore`` document as a file (written, fsynced, renamed); its SHA-256 names it.

        Runs in a worker thread before the restore is applied, so the event loop logs only a short
        record naming it: a large document no longer holds other clients while it is written.
        """
        sha = hashlib.sha256(body).hexdigest()
        self.pending_docs.add(sha)
        final = self._doc_path(sha)
        tmp = final.with_name("." + final.name + ".tmp")
        try:
            _write_synced(tmp, body)
            os.replace(tmp, final)
            self._fsync_home()
        except BaseException:
            tmp.unlink(missing_ok=True)
            self.pending_docs.discard(sha)
            raise
        return sha

    def read_doc(self, seq: int, sha: str) -> bytes:
        path = self._doc_path(sha)
        way_out = (
            "Nothing was loaded. The way out: put the file back from a copy of the whole directory, or start a "
            "fresh directory and POST /_mock/restore an export (GET /_mock/snapshot)."
        )
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise PersistError(
                f"{self.path}: log record {seq} is a restore of {path.name}, which cannot be read "
                f"({exc.strerror or exc}). {way_out}"
            ) from None
        if hashlib.sha256(body).hexdigest() != sha:
            raise PersistError(f"{path}: fails its SHA-256 checksum (log record {seq} restores it). {way_out}")
        return body

    def _drop_docs(self, db: sqlite3.Connection) -> None:
        """Remove the restore documents no log record names any more (and none being written)."""
        for entry in self.home.iterdir():
            m = _DOC_NAME.fullmatch(entry.name)
            if m is None or m.group(1) in self.pending_docs:
                continue
            named = db.execute("SELECT 1 FROM log WHERE instr(head, ?) > 0 LIMIT 1", (m.group(1).encode(),))
            if named.fetchone() is None:
                entry.unlink(missing_ok=True)

    def log_size(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM log").fetchone()[0])

    # -- checkpoints
    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoint files, newest first."""
        found = []
        for entry in self.home.iterdir():
            m = _CHECKPOINT_NAME.fullmatch(entry.name)
            if m is not None:
                found.append(Checkpoint(int(m.group(1)), entry))
        return sorted(found, key=lambda c: c.seq, reverse=True)

    def _path(self, seq: int) -> Path:
        return self.home / f"checkpoint-{seq:020d}.state"

    def read_checkpoint(self, cp: Checkpoint) -> bytes:
        """The document of ``cp``; :class:`PersistError` when it is damaged."""
        raw = cp.path.read_bytes()
        header, _, doc = raw.partition(b"\n")
        parts = header.split(b" ")
        fields_ = dict(p.split(b"=", 1) for p in parts[2:] if b"=" in p)
        if len(parts) < 4 or parts[0] != _CHECKPOINT_MAGIC or parts[1] != str(VERSION).encode():
            raise PersistError(f"{cp.path}: not a checkpoint of this version (damaged header)")
        if fields_.get(b"bytes") != str(len(doc)).encode():
            raise PersistError(f"{cp.path}: {len(doc)} bytes, its header says {fields_.get(b'bytes', b'?').decode()}")
        if fields_.get(b"sha256") != hashlib.sha256(doc).hexdigest().encode():
            raise PersistError(f"{cp.path}: fails its SHA-256 checksum")
        return doc

    def write_checkpoint(self, seq: int, doc: bytes) -> int:
        """Write, fsync, rename and verify a checkpoint after record ``seq``; then drop what it replaces.

        Kept afterwards: this checkpoint, the previous one, and the log since the previous one,
        so a checkpoint damaged later still leaves a way back (``BITUNIX_MOCK_STATE_FROM=previous``).
        """
        with self._write_lock:
            final = self._path(seq)
            tmp = final.with_name("." + final.name + ".tmp")
            header = b"%s %d sha256=%s bytes=%d\n" % (
                _CHECKPOINT_MAGIC, VERSION, hashlib.sha256(doc).hexdigest().encode(), len(doc)
            )  # fmt: skip
            try:
                _write_synced(tmp, header, doc)
                # Verified as written before it may replace anything: read back through the checksum.
                if self.read_checkpoint(Checkpoint(seq, tmp)) != doc:
                    raise PersistError(f"{tmp}: read back differently than written")
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, final)
            self._fsync_home()
            older = [c for c in self.checkpoints() if c.seq < seq or (c.seq == seq and c.path != final)]
            if older:
                previous = older[0]
                for c in older[1:]:
                    c.path.unlink(missing_ok=True)
                self._trim(previous.seq)
            return len(doc)

    def _fsync_home(self) -> None:
        if sys.platform == "win32":  # pragma: no cover
            return
        fd = os.open(self.home, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _trim(self, upto: int) -> None:
        """Delete the log records up to ``upto`` in short transactions (a request may be waiting to append)."""
        if self._aux is None:
            self._aux = self._connect()
        aux = self._aux
        while True:
            cur = aux.execute(
                "DELETE FROM log WHERE seq IN (SELECT seq FROM log WHERE seq <= ? ORDER BY seq LIMIT ?)",
                (upto, _TRIM_CHUNK),
            )
            if cur.rowcount < _TRIM_CHUNK:
                self._drop_docs(aux)
                return

    def remove_temporaries(self) -> None:
        for pattern in (".checkpoint-*.tmp", ".restore-*.tmp"):
            for entry in self.home.glob(pattern):
                entry.unlink(missing_ok=True)

    def close(self) -> None:
        for db in (getattr(self, "db", None), self._aux):
            if db is not None:
                with contextlib.suppress(Exception):
                    db.close()
        self._aux = None
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1


# ------------------------------------------------------------ state document

#: The start-up settings a state keeps: what a ``/reset`` rebuilds from and what decides requests.
SETTINGS = (
    "profile",
    "markets_path",
    "seed",
    "liquidity",
    "liquidity_levels",
    "demo_account",
    "demo_api_key",
    "demo_secret",
    "demo_balances",
    "rate_limits",
    "switches",
    "clock_offset_ms",
    "frozen_at_ms",
    "data",
)


def _settings_json(config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SETTINGS:
        value = getattr(config, name)
        if name == "markets_path":
            value = None if value is None else str(value)
        elif name == "demo_balances":
            value = {coin: str(v) for coin, v in value.items()}
        elif name in ("switches", "data"):
            value = dict(value)
        out[name] = value
    return out


def _settings_config(base: Config, doc: dict[str, Any]) -> Config:
    values = dict(doc)
    if values.get("markets_path") is not None:
        values["markets_path"] = Path(values["markets_path"])
    values["demo_balances"] = {coin: Decimal(v) for coin, v in values["demo_balances"].items()}
    values.setdefault("data", {})  # kept since 2026-12: before, the start-up files stood in for them
    return replace(base, **{name: values[name] for name in SETTINGS})


@dataclass(frozen=True)
class CapturedState:
    """A state document's parts as copies (:func:`capture_state`); :func:`encode_state` makes the JSON."""

    snapshot: Captured
    settings: dict[str, Any]
    switches: dict[str, str]
    rate_limits: dict[str, Any]
    faults: dict[str, Any]
    counterparty: dict[str, Any]


def capture_state(state: MockState) -> CapturedState:
    """Copies of everything a checkpoint holds, at one instant (cheap: nothing is encoded)."""
    faults, cp, rl = state.faults, state.counterparty, state.rate_limiter
    return CapturedState(
        snapshot=capture(state),
        settings=_settings_json(state.config),
        switches=dict(state.extras.get("switches", {})),
        rate_limits={"enabled": rl.enabled, "overrides": dict(rl.overrides)},
        faults={**faults.counters(), "rules": [asdict(r) for r in faults.rules()]},
        counterparty=cp.export_state(),
    )


def encode_state(c: CapturedState, pause: Callable[[], None] | None = None) -> bytes:
    return orjson.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "settings": c.settings,
            "snapshot": encode(c.snapshot, pause),
            "switches": c.switches,
            "rate_limits": c.rate_limits,
            "faults": c.faults,
            "counterparty": c.counterparty,
        }
    )


def state_doc(state: MockState) -> dict[str, Any]:
    """The checkpoint document of ``state`` (as a dict)."""
    return cast(dict[str, Any], orjson.loads(encode_state(capture_state(state))))


def restore_doc(restore: Restore, config: Config, raw: bytes, where: str = "the checkpoint") -> MockState:
    """A new state from a checkpoint, under the settings it kept; :class:`PersistError` naming what is wrong."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PersistError(f"{where} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") not in (1, VERSION):
        raise PersistError(f"{where} is not a bitunix-mock state document of this version")
    try:
        # Version 1 kept no settings: the flags of this start stand in for them.
        settings = _settings_config(config, doc["settings"]) if "settings" in doc else config
        # A checkpoint written before futures were kept holds a version-2 snapshot: no futures activity.
        state = restore(settings, upgrade(doc["snapshot"]))
        state.config = settings  # exactly the settings in force (load adjusts its copy to the snapshot)
        if doc["switches"]:
            state.set_switches(doc["switches"])
        else:
            state.apply_switches()
        rl = state.rate_limiter
        rl.enabled = bool(doc["rate_limits"]["enabled"])
        rl.overrides.update(doc["rate_limits"]["overrides"])
        f = doc["faults"]
        state.faults.clear(int(f["seed"]))
        for rule in f["rules"]:
            state.faults.add(FaultRule(**rule))
        state.faults.load_counters(f)
        state.counterparty.load_state(doc["counterparty"])
    except SnapshotError as exc:
        raise PersistError(f"{where} cannot be restored: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PersistError(f"{where} is malformed: {exc!r}") from None
    return state


# ------------------------------------------------------------------- runtime


@contextlib.contextmanager
def wall_pinned(wall_ms: int | None) -> Iterator[None]:
    """Every running clock, new ones included, reads ``wall_ms`` as the wall time inside."""
    saved = Clock.wall_pin_ms
    Clock.wall_pin_ms = wall_ms
    try:
        yield
    finally:
        Clock.wall_pin_ms = saved


class _Writer:
    """The checkpoint writer thread: encodes a captured state and writes it, off the request path."""

    def __init__(self, durable: Durable) -> None:
        self.durable = durable
        self._cond = threading.Condition()
        self._job: tuple[int, CapturedState] | None = None
        self._busy = False
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failed = 0

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self, seq: int, captured: CapturedState) -> None:
        with self._cond:
            self._job = (seq, captured)
            self._busy = True
            if self._thread is None:  # a thread per burst of work: none lingers once it is written
                self._thread = threading.Thread(target=self._run, name="mock-checkpoint", daemon=True)
                self._thread.start()

    def wait(self) -> None:
        """Until no checkpoint is being written."""
        with self._cond:
            while self._busy:
                self._cond.wait()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._job is None:
                    self._busy = False
                    self._thread = None
                    self._cond.notify_all()
                    return
                seq, captured = self._job
                self._job = None
            try:
                doc = encode_state(captured, yield_interpreter)
                self.durable.checkpoint_bytes = self.durable.store.write_checkpoint(seq, doc)
                self.written += 1
            except Exception:
                # The log still holds everything since the last good checkpoint: nothing is lost,
                # the next compaction tries again.
                self.failed += 1
                log.exception("state: writing a checkpoint failed; the log keeps every change")


def _write_error(exc: Exception, home: Path) -> str:
    """What failed, with the OS's reason: SQLite says only "database or disk is full" for a full disk."""
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    text = str(exc) or type(exc).__name__
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in text:
        with contextlib.suppress(OSError, AttributeError):  # no statvfs on Windows
            st = os.statvfs(home)
            free = st.f_bavail * st.f_frsize
            if free < _FULL_BELOW:
                return f"{text}: {os.strerror(errno.ENOSPC)}, {free} bytes free in {home}"
            return f"{text}, {free} bytes free in {home}"
    return text


#: Free space below which a full SQLite database is a full file system (a page or two may remain).
_FULL_BELOW = 1 << 20


class Durable:
    """Makes one :class:`MockState` durable in a state directory (see the module docstring)."""

    def __init__(self, state: MockState, pipeline: Pipeline, directory: Path, store: Store):
        self.state = state
        self.pipeline = pipeline
        self.directory = directory
        self.store = store
        self.seq = 0  # the last record appended
        self.logged = 0
        self.logged_bytes = 0
        self.checkpoint_bytes = 0
        self.replayed = 0
        #: The directory's checkpoint kept the data documents (markets, coins, rates) it was decided under.
        self.data_kept = True
        #: What a start found in the directory (None: it was new): printed by the CLI banner.
        self.resumed: dict[str, Any] | None = None
        self.writer = _Writer(self)

    # -- live path
    def handle(self, ctx: RequestContext) -> Reply:
        """Run the request on the pipeline with the clock pinned; log it before the reply goes out."""
        ep, state = ctx.endpoint, self.state
        watch = ep is not None and (ep.auth or state.counterparty.active)
        with state.clock.pinned(ctx.now_ms):
            reply = self.pipeline.handle(ctx)
        entry = ctx.entry
        if watch and ctx.refused_by not in NO_EFFECT:
            head = {
                "k": "x",
                "t": ctx.now_ms,
                "m": ctx.method,
                "p": ctx.path,
                "q": ctx.raw_query.decode("latin-1"),
                "h": {k: ctx.headers[k] for k in _KEPT_HEADERS if k in ctx.headers},
                "ip": ctx.client_ip,
                "code": entry.code,
                "crc": zlib.crc32(reply.body),
            }
            self._append(head, ctx.body)
        return reply

    def wrap_admin(self, run: AdminRun) -> AdminRun:
        """``run`` (an admin write) logged before it is answered: see :meth:`admin`."""

        async def logged(state: MockState, request: Request) -> Response:
            return await self.admin(run, state, request)

        return logged

    async def admin(self, run: AdminRun, state: MockState, request: Request) -> Response:
        """Run an admin write with the clock pinned (but for ``/clock`` and ``/restore``); log it if it succeeded.

        The body is read first (bounded by the largest admin body, a restore's). A pinned call
        runs without yielding to other requests; ``/restore`` builds its exchange in a worker
        thread and replaces the live one at once (requests meanwhile are logged before it).
        """
        from .controller import AdminError
        from .routes import MAX_RESTORE_BODY, admin_error, read_admin_body

        try:
            body = await read_admin_body(request, MAX_RESTORE_BODY)
        except AdminError as exc:
            return admin_error(exc.status, exc.message)
        path = request.url.path
        doc = await self._keep_doc(body) if path == _RESTORE else None
        if isinstance(doc, Response):
            return doc
        now, wall = state.clock.now_ms(), time.time_ns() // 1_000_000
        if path in _UNPINNED:
            response = await run(state, Request(request.scope, receive_body(body)))
        else:
            with state.clock.pinned(now), wall_pinned(wall):
                response = await run(state, Request(request.scope, receive_body(body)))
        if response.status_code >= 400:
            self.store.pending_docs.discard(doc or "")  # unnamed: the next checkpoint removes its file
            return response  # a refused admin call changes nothing
        clock = self.state.clock  # a /reset or /restore brought a new one
        head = {
            "k": "a",
            "t": now,
            "w": wall,
            "m": request.method,
            "p": path,
            "q": request.scope.get("query_string", b"").decode("latin-1"),
            "clock": clock.export_state(),
            "code": str(response.status_code),
        }
        if doc is not None:  # the document is in its file: the record names it
            head["doc"], body = doc, b""
        self._append(head, body)
        self.store.pending_docs.discard(doc or "")
        return response

    async def _keep_doc(self, body: bytes) -> str | Response:
        """A restore document written to its file off the event loop, before the restore is applied."""
        from .routes import admin_error

        try:
            return await anyio.to_thread.run_sync(self.store.write_doc, body)
        except OSError as exc:  # nothing is applied: the restore is refused, the exchange unchanged
            return admin_error(
                500, f"state: cannot keep the restore document in {self.store.home} ({exc.strerror or exc})"
            )

    def _append(self, head: dict[str, Any], body: bytes) -> None:
        raw = orjson.dumps(head)
        seq = self.seq + 1
        self._write(lambda: self.store.append(seq, raw, body))
        self.seq = seq
        self.logged += 1
        self.logged_bytes += len(raw) + len(body)
        limit = COMPACT_FIXED_BYTES or max(COMPACT_MIN_BYTES, self.checkpoint_bytes)
        due = self.logged >= COMPACT_EVERY or self.logged_bytes >= limit
        if due and not self.writer.busy:  # one at a time: the next record past the line tries again
            self.checkpoint_soon()

    def checkpoint_soon(self) -> None:
        """Copy the state now (between two requests) and have the writer thread write it."""
        captured = capture_state(self.state)
        self.logged = self.logged_bytes = 0
        self.writer.submit(self.seq, captured)

    def checkpoint(self) -> None:
        """Write the whole state now, in this thread (and wait for a background write first)."""
        self.writer.wait()
        doc = encode_state(capture_state(self.state))
        try:
            self.checkpoint_bytes = self.store.write_checkpoint(self.seq, doc)
        except (OSError, sqlite3.Error) as exc:
            raise PersistError(f"cannot write a checkpoint in {self.store.home}: {exc}") from None
        self.logged = self.logged_bytes = 0

    def _write(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:
            # The change is made in memory and cannot be kept: stop before anyone is told it happened.
            log.critical(
                "state: cannot write %s (%s); stopping so no unsaved change is acknowledged",
                self.store.path, _write_error(exc, self.store.home),
            )  # fmt: skip
            sys.stderr.flush()
            os._exit(EXIT_UNSAVED)

    # -- start-up
    def replay(self, records: list[Record]) -> None:
        """Re-run logged requests, each at its recorded clock reading; a different answer stops the start."""
        from ..api.pipeline import RequestContext

        state = self.state
        scratch = Journal(1)
        # Rate limits admitted these requests once; their windows are not state. The setting itself
        # is (an admin call may change it): kept aside while requests replay, in force for admin calls.
        enabled = state.rate_limiter.enabled
        try:
            for seq, head, body in records:
                if head.get("k") == "a":
                    state.rate_limiter.enabled = enabled
                    self._replay_admin(seq, head, body)
                    enabled = state.rate_limiter.enabled
                    continue
                state.rate_limiter.enabled = False
                now = int(head["t"])
                headers = dict(head["h"])
                query = str(head["q"])
                entry = scratch.open(now, head["m"], head["p"], query, headers, body, head["ip"])
                product, endpoint = endpoint_at(head["p"], self.pipeline.products)
                ctx = RequestContext(
                    endpoint,
                    head["m"],
                    head["p"],
                    query.encode("latin-1"),
                    headers,
                    body,
                    head["ip"],
                    now,
                    entry,
                    product,
                )
                with state.clock.pinned(now):
                    reply = self.pipeline.handle(ctx)
                self.replayed += 1
                self.seq = seq
                if entry.code != head.get("code") or ("crc" in head and zlib.crc32(reply.body) != head["crc"]):
                    raise self._diverged(seq, head, f"code {entry.code}: {reply.body[:300].decode('utf-8', 'replace')}")
        finally:
            state.rate_limiter.enabled = enabled

    def _diverged(self, seq: int, head: dict[str, Any], replayed: str) -> PersistError:
        acknowledged = f"code {head.get('code')}" + (f" (answer checksum {head['crc']})" if "crc" in head else "")
        return PersistError(
            f"{self.store.path}: log record {seq} ({head.get('m')} {head.get('p')} at mock time {head.get('t')}) "
            f"was acknowledged with {acknowledged}; replayed now it answers {replayed}. Nothing was loaded: "
            "this mock does not reproduce what the directory's writer decided (another version of the mock, "
            f"or a bug{self._data_note()}). Start the version that wrote the directory, or start a fresh "
            "directory and POST /_mock/restore an export (GET /_mock/snapshot)."
        )

    def _data_note(self) -> str:
        if self.data_kept:
            return ": the markets, coins and rates in force are the directory's own, kept with its checkpoints"
        source = self.state.config.markets_path or "the embedded markets.json"
        return (
            f"; or changed data: this directory predates kept markets, so the markets in force are {source} "
            "and the embedded coins and rates of this start: start with the ones it was written under"
        )

    def _replay_admin(self, seq: int, head: dict[str, Any], body: bytes) -> None:
        from .routes import run_admin_now

        state = self.state
        method, path = str(head["m"]), str(head["p"])
        unpinned = path in _UNPINNED
        pin = contextlib.nullcontext() if unpinned else state.clock.pinned(int(head["t"]))
        with pin, wall_pinned(None if unpinned else head.get("w")):
            try:
                response = run_admin_now(state, method, path, str(head["q"]), body)
            except RuntimeError as exc:  # pragma: no cover - admin calls wait on nothing but their body
                raise PersistError(f"{self.store.path}: log record {seq}: {exc}") from None
        if response is None:
            raise PersistError(f"{self.store.path}: log record {seq}: no admin route {method} {path}")
        state.clock.load_state(head["clock"])  # a /reset or /restore brought a new clock
        self.replayed += 1
        self.seq = seq
        if str(response.status_code) != head.get("code"):
            raise self._diverged(
                seq, head, f"HTTP {response.status_code}: {bytes(response.body)[:300].decode('utf-8', 'replace')}"
            )

    def close(self) -> None:
        """Release the directory (in-process use; a server process keeps it until it exits)."""
        self.writer.wait()
        self.store.close()


# ------------------------------------------------------------------- start


def _newest_restorable(restore: Restore, store: Store, config: Config) -> tuple[int, MockState | None, list[Path]]:
    """The checkpoint to start from (its log position and state), or ``(0, None)`` for a new directory,
    and the newer checkpoints passed over (damaged: removed once the start has a verified one)."""
    if store.legacy is not None:
        return 0, restore_doc(restore, config, store.legacy, f"{store.path} (its version-1 checkpoint)"), []
    found = store.checkpoints()
    if not found:
        if store.last_seq():
            raise PersistError(f"{store.path} has a log but no checkpoint file beside it in {store.home}")
        return 0, None, []
    use_previous = os.environ.get(FROM_ENV, "").strip().lower() == "previous"
    if use_previous:
        if len(found) < 2:
            raise PersistError(f"{FROM_ENV}=previous, but {store.home} holds only {found[0].path.name}")
        chosen = found[1]
        log.warning("state: starting from the previous checkpoint %s (%s=previous)", chosen.path, FROM_ENV)
    else:
        chosen = found[0]
    try:
        doc = store.read_checkpoint(chosen)
    except PersistError as exc:
        if use_previous:
            raise
        if len(found) > 1:
            way_out = (
                f"start once with {FROM_ENV}=previous to load the previous checkpoint {found[1].path.name} "
                "and replay the log kept since it (nothing acknowledged is lost if the log is intact)"
            )
        else:
            way_out = "there is no previous checkpoint"
        raise PersistError(
            f"{exc}. The file is damaged; nothing was loaded. The way out: {way_out}; or start a fresh "
            "directory and POST /_mock/restore an export (GET /_mock/snapshot)."
        ) from None
    return (
        chosen.seq,
        restore_doc(restore, config, doc, str(chosen.path)),
        [c.path for c in found if c.seq > chosen.seq],
    )


def _differences(flags: Config, state: MockState) -> list[str]:
    """Each start-up flag that differs from what the state directory keeps in force, and how to change it."""
    out: list[str] = []
    default = Config()  # a value equal to the default is not known to come from a flag
    if flags.profile != state.verifier.profile.name:
        flag = (
            f"--profile {flags.profile}"
            if flags.profile != default.profile
            else f"the start-up default profile {flags.profile}"
        )
        out.append(
            f"{flag}: the state keeps profile {state.verifier.profile.name} in force (change it: POST /_mock/profile)"
        )
    for name, spec in SWITCHES.items():
        given = flags.switches.get(name)
        wanted = given or spec.default
        if wanted != state.switch(name):
            flag = f"--switch {name}={wanted}" if given else f"the start-up default {name}={wanted}"
            out.append(
                f"{flag}: the state keeps {name}={state.switch(name)} in force (change it: POST /_mock/switches)"
            )
    if flags.rate_limits != state.rate_limiter.enabled:
        out.append(
            f"rate limits {'on by the flags' if flags.rate_limits else 'off (the start-up default)'}: "
            "the state keeps them "
            f"{'on' if state.rate_limiter.enabled else 'off'} (change it: POST /_mock/rate-limits)"
        )
    if flags.seed != state.exchange.seed:
        out.append(
            f"--seed {flags.seed}: the state's exchange has seed {state.exchange.seed} "
            "(a new one: POST /_mock/reset with a seed)"
        )
    if flags.liquidity != (state.liquidity is not None):
        out.append(
            f"{'--no-liquidity not given' if flags.liquidity else '--no-liquidity'}: the state "
            f"{'has a' if state.liquidity is not None else 'has no'} market maker (a fresh directory changes it)"
        )
    if flags.demo_account != (state.demo is not None):
        out.append(
            f"{'--no-demo not given' if flags.demo_account else '--no-demo'}: the state "
            f"{'has the' if state.demo is not None else 'has no'} demo account"
        )
    return out + _data_differences(flags, state)


def _data_differences(flags: Config, state: MockState) -> list[str]:
    """Each data document this start would have used that differs from the one the state keeps in force."""
    from ..engine.seed import data_texts

    out: list[str] = []
    given = data_texts(flags.data, flags.markets_path)
    for name, kept in state.data.items():
        if given.get(name, kept) == kept:
            continue
        if name == "markets.json" and flags.markets_path is not None:
            source = f"--markets {flags.markets_path}: its markets differ"
        else:
            source = f"the embedded {name} of this mock (mockserver/seed/{name}) differs"
        out.append(
            f"{source} from the ones the state keeps in force ({_what_changed(name, given[name], kept)}): "
            "the state keeps the data its requests were acknowledged under (new data: a fresh directory)"
        )
    return out


def _what_changed(name: str, given: str, kept: str) -> str:
    """A short account of how two versions of a data document differ (markets by symbol and field)."""
    from dataclasses import fields

    from ..engine.markets import Market, parse_markets

    if name == "markets.json":
        try:
            new = {m.symbol: m for m in parse_markets(given)}
            old = {m.symbol: m for m in parse_markets(kept)}
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            return f"this one does not parse: {exc!r}"
        changes = [f"{s} only here" for s in sorted(new.keys() - old.keys())]
        changes += [f"{s} only in the state" for s in sorted(old.keys() - new.keys())]
        for symbol in sorted(new.keys() & old.keys()):
            for f in fields(Market):
                here, there = getattr(new[symbol], f.name), getattr(old[symbol], f.name)
                if here != there:
                    changes.append(f"{symbol} {f.name} {here} here, {there} kept")
        if not changes:
            return "the same markets, written differently"
        return "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
    return f"{len(given)} bytes here, {len(kept)} bytes kept"


def _summary(durable: Durable, flags: Config) -> dict[str, Any]:
    from .controller import Controller

    state = durable.state
    status = Controller(state).status()
    clock = state.clock
    return {
        "directory": str(durable.directory),
        "accounts": status["accounts"],
        "orders": status["orders"],
        "resting": status["resting"],
        "clock": {"frozen": clock.frozen, "offset_ms": clock.offset_ms, "now_ms": clock.now_ms()},
        "profile": state.verifier.profile.name,
        "switches": {n: v for n, v in state.switches().items() if v != SWITCHES[n].default},
        "rate_limits": state.rate_limiter.enabled,
        "replayed": durable.replayed,
        "differs": _differences(flags, state),
    }


def attach(state: MockState, pipeline: Pipeline) -> Durable:
    """Load the state directory into ``state`` (or start it from ``state``) and keep it durable from now on."""
    directory = state.config.state_dir
    assert directory is not None
    directory = Path(directory)
    flags = state.config
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise _unwritable(directory, exc) from None
    except OSError as exc:
        if exc.errno == errno.EROFS:
            raise _unwritable(directory, exc) from None
        raise PersistError(f"cannot create the state directory {directory}: {exc}") from None
    db_path = directory / DB_NAME
    _check_writable(db_path.resolve().parent)
    store = Store(db_path)
    try:
        store.remove_temporaries()
        seq, restored, passed_over = _newest_restorable(type(state).restore, store, state.config)
        if restored is not None:
            state.replace_with(restored)
        durable = Durable(state, pipeline, directory, store)
        durable.seq = seq
        durable.data_kept = restored is None or bool(state.config.data)
        # The data documents in force are kept from now on (a directory older than that kept none).
        state.config = replace(state.config, data=dict(state.data))
        records = store.records_after(seq)
        durable.replay(records)
        for damaged in passed_over:  # never the "previous" of the checkpoint written next
            damaged.unlink(missing_ok=True)
        durable.checkpoint()  # start from a verified checkpoint of what was just rebuilt
        store.upgraded()
        if restored is not None:
            durable.resumed = _summary(durable, flags)
    except BaseException:
        store.close()
        raise
    if durable.resumed is not None:
        r = durable.resumed
        log.info(
            "state: resumed %s: %d accounts, %d orders, %d logged requests replayed",
            directory, r["accounts"], r["orders"], durable.replayed,
        )  # fmt: skip
        for line in r["differs"]:
            log.warning("state: %s", line)
    return durable
