"""The data version as the web side reads it: from Redis when it can, so a kept answer costs no database round trip.

Every committed write bumps the data version in the database (`models.audit.bump_data_version`), and every cache
key names it. Reading it from the database on each request was most of what a kept public answer cost, so each
app keeps a copy in Redis beside the shared cache, under rules that never let a reader take an older version than
the last write that committed:

- A write, once its transaction has committed and before `commit()` returns, deletes the copy and moves a
  generation counter on (one Redis transaction; `models.audit.on_version_committed` calls `changed`).
- A reader that finds the copy uses it. One that finds none reads the database and stores what it read only if
  the generation is still the one it saw before reading (a Lua script, atomic in Redis): a reader that read just
  before a write committed cannot put the old version back after that write deleted it.
- The copy expires after `VERSION_TTL_MS`. That bounds the cases no protocol can close: a write whose delete did not
  reach Redis (it was away for that moment), a Redis restored from an older snapshot, a database restored or
  replaced under the same address, a write by a program that does not run this app. Readers then see the change
  within that time.
- Without Redis, or while it does not answer, the database is read on every request, as before.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from extensions import EXTENSION_KEY
from models.audit import DataVersion, on_version_committed

log = logging.getLogger("recoverystat.data_version")

DATA_VERSION_KEY = "recoverystat.data_version"
VERSION_TTL_MS = 2000
# After Redis failed to answer, readers go to the database for this long instead of waiting on its timeout again.
REST_SECONDS = 5.0
# models.audit.current_data_version's query, run on a plain connection (no ORM session).
VERSION_QUERY = select(DataVersion.version).where(DataVersion.id == 1)
# KEYS: the copy, the generation; ARGV: the generation the reader saw ("" for none), the version, the TTL in ms.
STORE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class SharedVersion:
    """One app's reading of the data version: the Redis copy when there is one, else the database."""

    def __init__(self, engine: Engine, redis_url: str | None, prefix: str):
        self.engine = engine
        self.key = f"{prefix}data-version"
        self.generation_key = f"{prefix}data-version:generation"
        self.client: Redis | None = None
        if redis_url:
            # Short timeouts, as the shared cache's: Redis only speeds this up, the database is the truth.
            self.client = Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self._store = self.client.register_script(STORE_IF_UNCHANGED)
            self._mget = self.client.connection_pool.make_connection().pack_command(
                "MGET", self.key, self.generation_key)  # packing needs no connection to be open
        self._resting_until = 0.0
        self._failing = False
        self._local = threading.local()

    def read_database(self) -> int:
        """The committed data version, from the database (raises SQLAlchemyError when it is away)."""
        with self.engine.connect() as connection:
            return connection.execute(VERSION_QUERY).scalar() or 1

    def current(self) -> int:
        """The data version no older than the last committed write (raises SQLAlchemyError when the database is
        needed and away)."""
        if self.client is None or time.monotonic() < self._resting_until:
            return self.read_database()
        try:
            copy, generation = self._ask(self._mget)
        except (RedisError, OSError) as error:
            self._rest(error)
            return self.read_database()
        if copy is not None:
            self._failing = False
            return int(copy)
        version = self.read_database()
        try:
            self._store(keys=[self.key, self.generation_key], args=[generation or b"", version, VERSION_TTL_MS])
        except RedisError as error:
            self._rest(error)
        return version

    def _ask(self, packed: list[bytes]) -> Any:
        """One packed command on this thread's own Redis connection.

        The client's pool, retries and hooks cost three times the CPU of the round trip itself (measured: 167 against
        49 microseconds), and this read is on every kept answer; the connection still speaks, parses and
        authenticates as redis-py's own.
        """
        assert self.client is not None
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():  # none yet, or inherited across a fork
            connection = self.client.connection_pool.make_connection()
            self._local.connection, self._local.pid = connection, os.getpid()
        try:
            connection.send_packed_command(packed, check_health=False)
            return connection.read_response()
        except BaseException:
            connection.disconnect()
            self._local.connection = None
            raise

    def changed(self) -> None:
        """A write that bumped the version has committed: drop the copy so the next reader takes the database's."""
        if self.client is None:
            return
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(self.generation_key)
                pipe.delete(self.key)
                pipe.execute()
        except RedisError as error:
            log.warning("could not drop the shared copy of the data version (%s); readers may see the previous "
                        "version for up to %d ms", error, VERSION_TTL_MS)

    def _rest(self, error: RedisError) -> None:
        self._resting_until = time.monotonic() + REST_SECONDS
        if not self._failing:
            self._failing = True
            log.warning("Redis did not answer for the data version (%s); reading it from the database", error)


_INSTALLED: weakref.WeakSet[SharedVersion] = weakref.WeakSet()
_INSTALLED_LOCK = threading.Lock()


def _committed(engine: Engine) -> None:
    """models.audit's after-commit notice: every app of this process on that database drops its shared copy."""
    with _INSTALLED_LOCK:
        mirrors = [mirror for mirror in _INSTALLED if mirror.engine.url == engine.url]
    for mirror in mirrors:
        mirror.changed()


on_version_committed(_committed)


def install(server: Flask) -> SharedVersion:
    """Give the app its shared data version (once; after the database and settings are in place)."""
    found = server.extensions.get(DATA_VERSION_KEY)
    if found is None:
        found = SharedVersion(server.extensions[EXTENSION_KEY].engine, server.config.get("REDIS_URL"),
                              server.config["CACHE_KEY_PREFIX"])
        server.extensions[DATA_VERSION_KEY] = found
        with _INSTALLED_LOCK:
            _INSTALLED.add(found)
    return found


def shared_version(server: Flask) -> SharedVersion:
    """The app's shared data version (installed by callbacks.response_cache.register)."""
    return server.extensions[DATA_VERSION_KEY]


def changed(server: Flask) -> None:
    """Tell the app's readers the data changed outside a session's commit (e.g. a restore on a plain connection)."""
    found = server.extensions.get(DATA_VERSION_KEY)
    if found is not None:
        found.changed()
