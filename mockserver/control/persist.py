"""State that survives a restart or a crash: ``--state DIR`` / ``Config(state_dir=...)``.

One SQLite file, ``DIR/state.db`` (WAL mode), holds two things:

* a **checkpoint**: the whole exchange as a snapshot (:func:`mockserver.snapshot.dump`, which
  carries the nonce memory, opening balances, id counters and generator states) plus what a
  snapshot leaves out but a restart must keep: run-time switches, rate-limit settings, fault
  rules and counterparty scripts;
* a **command log** since that checkpoint: every exchange request that may have changed
  something (any signed request past the nonce check, refused ones too; any request while a
  counterparty script waits) and every admin write that succeeded, each with the mock clock's
  reading it was handled at (an admin write also with the clock's state after it).

A request is handled with the clock pinned to one reading (an admin ``/clock`` call excepted),
appended to the log in its own transaction and only then answered. ``/reset`` and ``/restore``
write a checkpoint instead (they replace everything); so does a log grown as large as the
last checkpoint (at least :data:`COMPACT_MIN_BYTES`; at most :data:`COMPACT_EVERY` records), so
compaction costs a bounded share of each request however big the exchange; and so does
every start. On start the checkpoint is restored and the log replayed through the same code
(the exchange pipeline with its signature and nonce checks, the admin handlers without the
access rules) with the clock pinned to each recorded reading, so ids, fills and nonces come
out exactly as they were acknowledged; each replayed answer is checked against the recorded
one (a difference is logged as an error).

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
import logging
import os
import re
import sqlite3
import sys
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Message, Receive

from ..api.endpoints import ENDPOINTS_BY_PATH
from ..api.faults import FaultRule
from ..api.journal import Journal
from ..clock import Clock
from ..config import ADMIN_PREFIX, Config
from .counterparty import Script
from .snapshot import SnapshotError, dump, load

if TYPE_CHECKING:
    from ..api.pipeline import Pipeline, Reply, RequestContext
    from ..state import MockState

__all__ = [
    "COMPACT_EVERY",
    "COMPACT_MIN_BYTES",
    "DB_NAME",
    "FORMAT",
    "VERSION",
    "Durable",
    "PersistError",
    "Store",
    "attach",
]

log = logging.getLogger("mockserver.persist")

FORMAT = "bitunix-mock-state"
VERSION = 1
DB_NAME = "state.db"
LOCK_NAME = "state.lock"
#: Logged requests after which a checkpoint replaces the log (one dump, about 10 ms on the default books).
COMPACT_EVERY = 50_000
#: A log this large (or as large as the last checkpoint, if larger) is compacted into a checkpoint.
COMPACT_MIN_BYTES = 2 << 20
#: Refusals raised before a nonce is spent or anything else is touched: never logged.
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
#: The process exit status when a change cannot be made durable (EX_SOFTWARE).
EXIT_UNSAVED = 70


class PersistError(RuntimeError):
    """The state directory cannot be used (corrupt, foreign, newer, locked, unreadable)."""


#: The rest of an admin handler, after the state directory's hook (mockserver.admin._op).
AdminRun = Callable[["MockState", Request], Awaitable[Response]]
#: Admin writes that replace the whole exchange: a checkpoint, not a log record.
_CHECKPOINTED = frozenset({ADMIN_PREFIX + "/reset", ADMIN_PREFIX + "/restore"})

# ------------------------------------------------------------------- storage


class Store:
    """The SQLite file: a metadata table, one checkpoint row and the command log."""

    def __init__(self, path: Path, *, synchronous: str | None = None) -> None:
        self.path = path
        sync = (synchronous or os.environ.get("BITUNIX_MOCK_STATE_SYNC") or "normal").upper()
        if sync not in ("NORMAL", "FULL"):
            raise PersistError(f"BITUNIX_MOCK_STATE_SYNC must be normal or full, not {sync.lower()!r}")
        if path.exists() and path.stat().st_size:
            with path.open("rb") as fh:
                if fh.read(16) != _SQLITE_MAGIC:
                    raise PersistError(f"{path} is not a bitunix-mock state file (not an SQLite database)")
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={sync}")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                self.db.close()
            raise PersistError(f"{path} is unreadable or corrupt: {exc}") from None

    def _check_schema(self) -> None:
        db = self.db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            with self.transaction():
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), doc BLOB NOT NULL)")
                db.execute(
                    "CREATE TABLE log (seq INTEGER PRIMARY KEY, head BLOB NOT NULL, body BLOB NOT NULL,"
                    " crc INTEGER NOT NULL)"
                )
                db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("version", str(VERSION))])
            return
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        if meta.get("format") != FORMAT or not {"checkpoint", "log"} <= tables:
            raise PersistError(f"{self.path} is an SQLite database, but not a bitunix-mock state file")
        if meta.get("version") != str(VERSION):
            raise PersistError(
                f"{self.path} is state format version {meta.get('version')}; this mock reads version {VERSION}"
            )
        if (check := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
            raise PersistError(f"{self.path} is corrupt: {check}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def read(self) -> tuple[bytes | None, list[tuple[int, dict[str, Any], bytes]]]:
        """The checkpoint and the log records after it, oldest first.

        A record whose checksum fails is a torn write when it is the last one (dropped, with a
        warning) and corruption anywhere else (:class:`PersistError`).
        """
        row = self.db.execute("SELECT doc FROM checkpoint WHERE id = 1").fetchone()
        rows = self.db.execute("SELECT seq, head, body, crc FROM log ORDER BY seq").fetchall()
        records: list[tuple[int, dict[str, Any], bytes]] = []
        for i, (seq, head, body, crc) in enumerate(rows):
            head, body = bytes(head), bytes(body)
            try:
                if zlib.crc32(head + body) != crc:
                    raise ValueError("checksum mismatch")
                doc = orjson.loads(head)
                if not isinstance(doc, dict):
                    raise ValueError("record head is not an object")
            except ValueError as exc:
                if i == len(rows) - 1:
                    log.warning("state: dropping a torn last log record %s (%s)", seq, exc)
                    self.db.execute("DELETE FROM log WHERE seq >= ?", (seq,))
                    break
                raise PersistError(
                    f"{self.path}: log record {seq} is corrupt ({exc}); later records follow it"
                ) from None
            records.append((seq, doc, body))
        return (None if row is None else bytes(row[0])), records

    def append(self, head: bytes, body: bytes) -> None:
        """One record, one transaction (committed when this returns)."""
        self.db.execute("INSERT INTO log (head, body, crc) VALUES (?, ?, ?)", (head, body, zlib.crc32(head + body)))

    def checkpoint(self, doc: bytes) -> None:
        """Replace the checkpoint and empty the log, atomically."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO checkpoint (id, doc) VALUES (1, ?)", (doc,))
            self.db.execute("DELETE FROM log")

    def checkpoint_size(self) -> int:
        return int(self.db.execute("SELECT coalesce(length(doc), 0) FROM checkpoint").fetchone()[0])

    def log_size(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM log").fetchone()[0])

    def close(self) -> None:
        self.db.close()


# ------------------------------------------------------------ state document


def state_doc(state: MockState) -> dict[str, Any]:
    """The snapshot plus what a restart keeps and a snapshot leaves out."""
    faults, cp, rl = state.faults, state.counterparty, state.rate_limiter
    return {
        "format": FORMAT,
        "version": VERSION,
        "snapshot": dump(state),
        "switches": dict(state.extras.get("switches", {})),
        "rate_limits": {"enabled": rl.enabled, "overrides": dict(rl.overrides)},
        "faults": {**faults.counters(), "rules": [asdict(r) for r in faults.rules()]},
        "counterparty": {
            "ids": cp._ids,
            "scripts": [{**asdict(s), "fraction": str(s.fraction)} for s in cp.scripts],
        },
    }


def restore_doc(config: Config, raw: bytes) -> MockState:
    """A new state from a checkpoint; :class:`PersistError` naming what is wrong."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PersistError(f"the checkpoint is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise PersistError("the checkpoint is not a bitunix-mock state document of this version")
    try:
        state = load(config, doc["snapshot"])
        if doc["switches"]:
            state.set_switches(doc["switches"])
        rl = state.rate_limiter
        rl.enabled = bool(doc["rate_limits"]["enabled"])
        rl.overrides.update(doc["rate_limits"]["overrides"])
        f = doc["faults"]
        state.faults.clear(int(f["seed"]))
        for rule in f["rules"]:
            state.faults.add(FaultRule(**rule))
        state.faults.load_counters(f)
        cp = doc["counterparty"]
        for s in cp["scripts"]:
            script_id = s.pop("id")
            script = state.counterparty.add(Script(**{**s, "fraction": Decimal(s["fraction"])}))
            script.id = script_id
        state.counterparty._ids = int(cp["ids"])
    except SnapshotError as exc:
        raise PersistError(f"the checkpoint cannot be restored: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise PersistError(f"the checkpoint is malformed: {exc!r}") from None
    return state


# ------------------------------------------------------------------- runtime


@contextlib.contextmanager
def pinned(clock: Clock, now_ms: int) -> Iterator[None]:
    """Every clock reading inside is ``now_ms`` (live: one reading per request; replay: the recorded one)."""
    saved = clock._frozen_at_ms
    clock._frozen_at_ms = now_ms
    try:
        yield
    finally:
        clock._frozen_at_ms = saved


class Durable:
    """Makes one :class:`MockState` durable in a state directory (see the module docstring)."""

    def __init__(self, state: MockState, pipeline: Pipeline, directory: Path, store: Store, lock: TextIO | None):
        self.state = state
        self.pipeline = pipeline
        self.directory = directory
        self.store = store
        self._lock = lock
        self.logged = 0
        self.logged_bytes = 0
        self.checkpoint_bytes = 0
        self.replayed = 0
        self.diverged = 0

    # -- live path
    def handle(self, ctx: RequestContext) -> Reply:
        """Run the request on the pipeline with the clock pinned; log it before the reply goes out."""
        ep, state = ctx.endpoint, self.state
        watch = ep is not None and (ep.auth or state.counterparty.active)
        clock = state.clock  # pinned inline (as ``pinned`` does): this runs on every request
        saved, clock._frozen_at_ms = clock._frozen_at_ms, ctx.now_ms
        try:
            reply = self.pipeline.handle(ctx)
        finally:
            clock._frozen_at_ms = saved
        entry = ctx.entry
        if watch and entry.verdict not in NO_EFFECT:
            head = {
                "k": "x",
                "t": ctx.now_ms,
                "m": ctx.method,
                "p": ctx.path,
                "q": ctx.raw_query.decode("latin-1"),
                "h": {k: ctx.headers[k] for k in _KEPT_HEADERS if k in ctx.headers},
                "ip": ctx.client_ip,
                "code": entry.code,
            }
            self._append(head, ctx.body)
        return reply

    async def admin(self, run: AdminRun, state: MockState, request: Request) -> Response:
        """Run an admin write with the clock pinned (but for ``/clock``); log it if it succeeded.

        The body is read first (bounded by the largest admin body, a restore's), so the call
        itself runs without yielding to other requests. ``/reset`` and ``/restore`` write a
        checkpoint instead of a log record (a restore's document may be megabytes).
        """
        from .controller import AdminError
        from .routes import MAX_RESTORE_BODY, _read_body, admin_error

        try:
            body = await _read_body(request, MAX_RESTORE_BODY)
        except AdminError as exc:
            return admin_error(exc.status, exc.message)
        clock, path = state.clock, request.url.path
        now = clock.now_ms()
        steering = contextlib.nullcontext() if path == ADMIN_PREFIX + "/clock" else pinned(clock, now)
        with steering:
            response = await run(state, Request(request.scope, _receive(body)))
        if response.status_code >= 400:
            return response  # a refused admin call changes nothing
        if path in _CHECKPOINTED:
            self.checkpoint()
            return response
        head = {
            "k": "a",
            "t": now,
            "m": request.method,
            "p": path,
            "q": request.scope.get("query_string", b"").decode("latin-1"),
            "clock": [clock._offset_ms, clock._frozen_at_ms],
            "code": str(response.status_code),
        }
        self._append(head, body)
        return response

    def _append(self, head: dict[str, Any], body: bytes) -> None:
        raw = orjson.dumps(head)
        self._write(lambda: self.store.append(raw, body))
        self.logged += 1
        self.logged_bytes += len(raw) + len(body)
        if self.logged >= COMPACT_EVERY or self.logged_bytes >= max(COMPACT_MIN_BYTES, self.checkpoint_bytes):
            self.checkpoint()

    def checkpoint(self) -> None:
        """Write the whole state and empty the log."""
        doc = orjson.dumps(state_doc(self.state))
        self._write(lambda: self.store.checkpoint(doc))
        self.logged = self.logged_bytes = 0
        self.checkpoint_bytes = len(doc)

    def _write(self, action: Any) -> None:
        try:
            action()
        except Exception:
            # The change is made in memory and cannot be kept: stop before anyone is told it happened.
            log.critical("state: cannot write %s; stopping so no unsaved change is acknowledged", self.store.path)
            sys.stderr.flush()
            os._exit(EXIT_UNSAVED)

    # -- start-up
    def replay(self, records: list[tuple[int, dict[str, Any], bytes]]) -> None:
        """Re-run logged requests through the pipeline, each at its recorded clock reading."""
        from ..api.pipeline import RequestContext

        state = self.state
        scratch = Journal(1)
        limiter = state.rate_limiter
        enabled, limiter.enabled = limiter.enabled, False  # they were admitted once; counters are not state
        try:
            for seq, head, body in records:
                if head.get("k") == "a":
                    self._replay_admin(seq, head, body)
                    continue
                now = int(head["t"])
                headers = dict(head["h"])
                query = str(head["q"])
                entry = scratch.open(now, head["m"], head["p"], query, headers, body, head["ip"])
                ctx = RequestContext(
                    ENDPOINTS_BY_PATH.get(head["p"]),
                    head["m"],
                    head["p"],
                    query.encode("latin-1"),
                    headers,
                    body,
                    head["ip"],
                    now,
                    entry,
                )
                with pinned(state.clock, now):
                    self.pipeline.handle(ctx)
                self.replayed += 1
                if entry.code != head.get("code"):
                    self.diverged += 1
                    log.error(
                        "state: log record %s (%s %s) answered %s on replay, %s when acknowledged",
                        seq, head["m"], head["p"], entry.code, head.get("code"),
                    )  # fmt: skip
        finally:
            limiter.enabled = enabled

    def _replay_admin(self, seq: int, head: dict[str, Any], body: bytes) -> None:
        from .routes import ADMIN_ROUTES

        state, clock = self.state, self.state.clock
        method, path = str(head["m"]), str(head["p"])
        for route in ADMIN_ROUTES:
            found = _admin_pattern(route.path).fullmatch(path) if route.method == method else None
            if found is not None:
                break
        else:
            raise PersistError(f"log record {seq}: no admin route {method} {path}")
        scope = {
            "type": "http",
            "method": method,
            "scheme": "http",
            "server": None,
            "root_path": "",
            "path": path,
            "query_string": str(head["q"]).encode("latin-1"),
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            "path_params": found.groupdict(),
        }
        with pinned(clock, int(head["t"])):
            call = cast(Coroutine[Any, Any, Response], route.handler(state, Request(scope, _receive(body))))
            try:
                call.send(None)
            except StopIteration as done:
                response: Response = done.value
            else:  # pragma: no cover - admin calls never wait on anything but their in-memory body
                call.close()
                raise PersistError(f"log record {seq}: {method} {path} did not complete on replay")
        clock._offset_ms, clock._frozen_at_ms = head["clock"]
        self.replayed += 1
        if str(response.status_code) != head.get("code"):
            self.diverged += 1
            log.error(
                "state: log record %s (%s %s) answered %s on replay, %s when acknowledged",
                seq, method, path, response.status_code, head.get("code"),
            )  # fmt: skip

    def close(self) -> None:
        """Release the directory (in-process use; a server process keeps it until it exits)."""
        self.store.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _receive(body: bytes) -> Receive:
    """An ASGI receive that hands over ``body`` in one message."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


_patterns: dict[str, re.Pattern[str]] = {}


def _admin_pattern(route_path: str) -> re.Pattern[str]:
    """``/accounts/{api_key}/fund`` as a regular expression over the full admin path."""
    pattern = _patterns.get(route_path)
    if pattern is None:
        pattern = _patterns[route_path] = compile_path(ADMIN_PREFIX + route_path)[0]
    return pattern


def _lock_directory(directory: Path) -> TextIO | None:
    """An exclusive lock on the directory: two servers appending to one log would corrupt it."""
    fh = (directory / LOCK_NAME).open("a")
    if sys.platform == "win32":  # pragma: no cover - no flock; one server per directory is on the user
        return fh
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise PersistError(f"{directory} is in use by another bitunix-mock server") from None
    return fh


def attach(state: MockState, pipeline: Pipeline) -> Durable:
    """Load the state directory into ``state`` (or start it from ``state``) and keep it durable from now on."""
    directory = state.config.state_dir
    assert directory is not None
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PersistError(f"cannot create the state directory {directory}: {exc}") from None
    lock = _lock_directory(directory)
    try:
        store = Store(directory / DB_NAME)
        try:
            checkpoint, records = store.read()
            if checkpoint is not None:
                state.replace_with(restore_doc(state.config, checkpoint))
            elif records:
                raise PersistError(f"{store.path} has a log but no checkpoint")
            durable = Durable(state, pipeline, directory, store, lock)
            durable.replay(records)
            state.durable = durable  # only now: replayed admin calls must not log themselves again
            try:  # start from a compact file: the log is replayed once
                store.checkpoint(orjson.dumps(state_doc(state)))
            except sqlite3.Error as exc:
                raise PersistError(f"cannot write {store.path}: {exc}") from None
            durable.checkpoint_bytes = store.checkpoint_size()
        except BaseException:
            store.close()
            raise
    except BaseException:
        if lock is not None:
            lock.close()
        raise
    if durable.replayed:
        log.info("state: restored %s with %d logged requests replayed", directory, durable.replayed)
    return durable
