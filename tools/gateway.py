"""A small PostgREST-compatible gateway: POST /rest/v1/rpc/<function>, as Supabase serves it.

It exists so that the generated TypeScript client, talking through the real
supabase-js, can be tested end to end against a real PostgreSQL without
running PostgREST itself, and so that a local demo can serve the dashboard.
It does what PostgREST does for an RPC call (and, for reads, ``GET /<view>`` with PostgREST's
common filters, see :meth:`Gateway.read`), no more:

- verifies the ``Authorization: Bearer`` JWT (HS256, the project's JWT secret;
  ``exp``/``nbf`` with PostgREST's 30 s leeway; ``aud`` when configured); no
  token means the anonymous role; a bad token is ``401`` with ``PGRST301``/``303``;
- picks the schema from ``Content-Profile`` (POST) or ``Accept-Profile``
  (GET), which supabase-js sends for ``supabase.schema('analytics')``; a schema
  that is not exposed is ``406 PGRST106``;
- runs the call in one transaction that first does, like PostgREST's
  ``txVarQuery``: ``set_config('search_path', <schema>, public)``,
  ``set_config('role', <jwt role>, true)`` (= ``set local role``),
  ``set_config('request.jwt.claims', <claims with role>, true)`` and the
  ``request.method``/``path``/``headers``/``cookies`` settings;
- calls the function with the JSON body's keys as named arguments, finding it
  like PostgREST's schema cache does (by schema, name and argument names;
  none: ``404 PGRST202``), and answers its result as JSON (a set-returning
  function as an array of rows);
- maps PostgreSQL errors to HTTP statuses with PostgREST's table
  (``Error.hs``, ``mapSQLtoHTTP``) and its error body
  ``{code, message, details, hint}``.

``Gateway.drop_responses(n)`` makes the next ``n`` calls commit and then close
the connection without answering, which is what a client sees when a response
is lost on the way back: the retry must not store anything twice.

Run it: ``python -m tools.gateway --dsn 'host=... user=authenticator dbname=postgres'
--jwt-secret SECRET --schemas analytics,public --port 54321``.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
import psycopg
from psycopg import sql

#: PostgREST accepts tokens up to 30 seconds past exp (clock skew)
JWT_LEEWAY_SECONDS = 30


@dataclass
class GatewayConfig:
    dsn: str  # the login role PostgREST uses (on Supabase: authenticator)
    jwt_secret: str
    schemas: tuple[str, ...] = ("public",)  # db-schemas; the first is the default
    anon_role: str | None = "anon"  # db-anon-role; None: a token is required
    jwt_aud: str | None = None
    extra_search_path: tuple[str, ...] = ("public",)
    prefixes: tuple[str, ...] = ("/rest/v1", "")  # Supabase's path and PostgREST's own


@dataclass
class Routine:
    schema: str
    name: str
    args: tuple[tuple[str, str, bool], ...]  # (name, SQL type, has default)
    returns_set: bool
    returns_void: bool
    volatile: bool = True


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "details": details, "hint": hint, "message": message}
        self.headers = headers or {}


def http_status(sqlstate: str, message: str, authenticated: bool) -> int:
    """PostgREST's mapSQLtoHTTP (src/library/PostgREST/Error.hs)."""
    exact = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503, "P0001": 400,
             "42P01": 404, "42P17": 500}
    if sqlstate == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if sqlstate == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if sqlstate == "42501":
        return 403 if authenticated else 401
    if sqlstate in exact:
        return exact[sqlstate]
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        return int(sqlstate[2:])
    prefixes = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
                "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
                "F0": 500, "HV": 500, "P0": 500, "XX": 500}
    return prefixes.get(sqlstate[:2], 400)


class _Pool:
    """A few reusable connections as the login role; a broken one is dropped."""

    def __init__(self, dsn: str, size: int = 4):
        self.dsn = dsn
        self.size = size
        self.idle: list[psycopg.Connection] = []
        self.lock = threading.Lock()

    def get(self) -> psycopg.Connection:
        with self.lock:
            while self.idle:
                conn = self.idle.pop()
                if not conn.closed:
                    return conn
        return psycopg.connect(self.dsn, autocommit=False)

    def put(self, conn: psycopg.Connection) -> None:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        with self.lock:
            if len(self.idle) < self.size:
                self.idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self.lock:
            for conn in self.idle:
                conn.close()
            self.idle.clear()


_FIND_ROUTINES = """
select p.proname, p.proretset, p.prorettype = 'pg_catalog.void'::regtype, p.provolatile = 'v',
       coalesce(p.proargnames, '{}'), p.pronargs, p.pronargdefaults,
       array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes::oid[]) as t)
from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where n.nspname = %s and p.proname = %s and p.prokind = 'f'
"""


class Gateway:
    """The HTTP server; ``start()`` returns its base URL (``http://127.0.0.1:<port>``)."""

    def __init__(self, config: GatewayConfig):
        self.config = config
        self.pool = _Pool(config.dsn)
        self._drop = 0
        self._lock = threading.Lock()
        self.log: list[tuple[str, str, int | None]] = []  # (method, path, status or None when dropped)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control --------------------------------------------------------- #

    def drop_responses(self, count: int) -> None:
        """The next ``count`` RPC calls commit, then the connection is closed without a response."""
        with self._lock:
            self._drop = count

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drop > 0:
                self._drop -= 1
                return True
            return False

    def start(self, host: str = "127.0.0.1", port: int = 0, handler: type[_Handler] | None = None) -> str:
        """Serve on ``host:port`` (0: a free port); ``handler`` may subclass the request handler to
        serve more routes (the demo's page) before the PostgREST ones."""
        gateway = self

        class Handler(handler or _Handler):
            pass

        Handler.gateway = gateway
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        return f"http://{host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.pool.close()

    # -- the PostgREST part ------------------------------------------------ #

    def authenticate(self, header: str | None) -> tuple[str, dict[str, Any]]:
        """(role, claims) from the Authorization header, as PostgREST decides them."""
        token = None
        if header:
            scheme, _, rest = header.partition(" ")
            if scheme.lower() == "bearer":
                token = rest.strip()
        if not token:
            if self.config.anon_role is None:
                raise ApiError(401, "PGRST302", "Anonymous access is disabled", headers={"WWW-Authenticate": "Bearer"})
            return self.config.anon_role, {}
        options = {"verify_aud": self.config.jwt_aud is not None, "require": []}
        try:
            claims = jwt.decode(token, self.config.jwt_secret, algorithms=["HS256"], audience=self.config.jwt_aud,
                                leeway=JWT_LEEWAY_SECONDS, options=options)
        except jwt.ExpiredSignatureError:
            raise ApiError(401, "PGRST303", "JWT expired",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="JWT expired"'}) from None
        except (jwt.ImmatureSignatureError, jwt.InvalidAudienceError, jwt.InvalidIssuedAtError) as exc:
            raise ApiError(401, "PGRST303", str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        except jwt.InvalidTokenError:
            raise ApiError(401, "PGRST301", "JWT cryptographic operation failed",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        role = claims.get("role") or self.config.anon_role
        if not isinstance(role, str) or not role:
            raise ApiError(401, "PGRST302", "Anonymous access is disabled", headers={"WWW-Authenticate": "Bearer"})
        return role, claims

    def schema_for(self, method: str, headers: Any) -> str:
        profile = headers.get("Content-Profile") if method in ("POST", "PATCH", "PUT", "DELETE") \
            else headers.get("Accept-Profile")
        if profile is None:
            return self.config.schemas[0]
        if profile not in self.config.schemas:
            raise ApiError(406, "PGRST106", f"Invalid schema: {profile}",
                           hint="Only the following schemas are exposed: " + ", ".join(self.config.schemas))
        return profile

    def find_routine(self, conn: psycopg.Connection, schema: str, name: str, keys: set[str]) -> Routine:
        rows = conn.execute(_FIND_ROUTINES, (schema, name)).fetchall()
        conn.rollback()
        for proname, retset, retvoid, volatile, argnames, nargs, ndefaults, argtypes in rows:
            names = list(argnames)[:nargs]
            if len(names) < nargs or any(not n for n in names):
                continue  # PostgREST calls only functions whose arguments all have names
            required = set(names[: nargs - ndefaults])
            if required <= keys <= set(names):
                args = tuple((n, t, i >= nargs - ndefaults) for i, (n, t) in enumerate(zip(names, argtypes, strict=True)))
                return Routine(schema, proname, args, bool(retset), bool(retvoid), bool(volatile))
        shown = ", ".join(sorted(keys))
        raise ApiError(404, "PGRST202", f"Could not find the function {schema}.{name}({shown}) in the schema cache",
                       hint="If a new function was created in the database with this name and parameters, "
                            "try reloading the schema cache.")

    def _prelude(self, conn: psycopg.Connection, schema: str, role: str, claims: dict[str, Any], method: str,
                 path: str, headers: Any) -> None:
        """PostgREST's txVarQuery: search path, role and the request.* settings, local to the transaction."""
        search_path = ", ".join(sql.Identifier(s).as_string(conn) for s in (schema, *self.config.extra_search_path))
        request_headers = {k.lower(): v for k, v in headers.items()}
        conn.execute(
            "select set_config('search_path', %s, true), set_config('role', %s, true),"
            " set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true),"
            " set_config('request.path', %s, true), set_config('request.headers', %s, true),"
            " set_config('request.cookies', %s, true)",
            (search_path, role, json.dumps(dict(claims, role=role)), method, path,
             json.dumps(request_headers), "{}"))

    def _api_error(self, conn: psycopg.Connection, exc: psycopg.Error, role: str) -> ApiError:
        if not conn.closed:
            conn.rollback()
        diag = exc.diag
        state = diag.sqlstate or ""
        message = diag.message_primary or str(exc)
        status = 503 if isinstance(exc, psycopg.OperationalError) and not state else \
            http_status(state, message, authenticated=role != self.config.anon_role)
        return ApiError(status, state or "PGRST000", message, diag.message_detail, diag.message_hint)

    @contextmanager
    def _session(self, role: str) -> Iterator[psycopg.Connection]:
        """A pooled connection for one request: a database error becomes the answer PostgREST would
        give, and an unfinished transaction is rolled back before the connection goes back."""
        conn = self.pool.get()
        try:
            yield conn
        except psycopg.Error as exc:
            raise self._api_error(conn, exc, role) from None
        finally:
            if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            self.pool.put(conn)

    def call(self, path: str, headers: Any, body: bytes, method: str = "POST",
             query: list[tuple[str, str]] | None = None) -> tuple[int, bytes | None, bool]:
        """Run one RPC call: (status, JSON body or None, drop the response). POST takes the arguments
        from the JSON body; GET (PostgREST: stable and immutable functions only) from the query string."""
        fn = unquote(path.rsplit("/", 1)[1])
        schema = self.schema_for(method, headers)
        role, claims = self.authenticate(headers.get("Authorization"))
        if method == "GET":
            params: Any = dict(query or [])
        else:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise ApiError(400, "PGRST102", "Empty or invalid json") from None
        if not isinstance(params, dict):
            raise ApiError(400, "PGRST102", "Empty or invalid json")
        with self._session(role) as conn:
            routine = self.find_routine(conn, schema, fn, set(params))
            if method == "GET" and routine.volatile:
                raise ApiError(405, "PGRST101", "Cannot use the GET method on RPC when the function is volatile")
            self._prelude(conn, schema, role, claims, method, path, headers)
            named = sql.SQL(", ").join(
                sql.SQL("{} := {}::{}").format(sql.Identifier(n), sql.Placeholder(), sql.SQL(t))
                for n, t, _ in routine.args if n in params)
            target = sql.SQL("{}.{}({})").format(sql.Identifier(schema), sql.Identifier(routine.name), named)
            if routine.returns_set:
                query = sql.SQL("select coalesce(jsonb_agg(r), '[]'::jsonb) from {} as r").format(target)
            else:
                query = sql.SQL("select to_jsonb({})").format(target)
            values = [_as_text(params[n], t) for n, t, _ in routine.args if n in params]
            result = conn.execute(query, values).fetchone()[0]
            conn.commit()
        if routine.returns_void:
            return 204, None, self._take_drop()
        return 200, json.dumps(result).encode(), self._take_drop()

    def read(self, path: str, headers: Any, query: list[tuple[str, str]]) -> tuple[int, bytes]:
        """``GET /<relation>?select=..&<column>=<op>.<value>&order=..&limit=..``: rows of a table or view
        of the exposed schema as a JSON array, read as the JWT's role with its claims (so RLS and
        security_invoker views apply exactly as through PostgREST). Operators: eq, neq, gt, gte, lt,
        lte, is (null, true, false), in.(a,b); ``order=col[.asc|.desc]``; ``limit``, ``offset``."""
        relation = unquote(path.rsplit("/", 1)[1])
        schema = self.schema_for("GET", headers)
        role, claims = self.authenticate(headers.get("Authorization"))
        columns: list[sql.Composable] = [sql.SQL("*")]
        where: list[sql.Composable] = []
        values: list[Any] = []
        order: list[sql.Composable] = []
        limit = offset = None
        for key, value in query:
            if key == "select":
                if value.strip() != "*":
                    columns = [sql.Identifier(_column(c.strip())) for c in value.split(",") if c.strip()]
            elif key == "order":
                for part in value.split(","):
                    name, _, direction = part.partition(".")
                    direction = direction.split(".")[0] or "asc"
                    if direction not in ("asc", "desc"):
                        raise ApiError(400, "PGRST100", f'"failed to parse order ({value})"')
                    order.append(sql.SQL("{} {}").format(sql.Identifier(_column(name)), sql.SQL(direction)))
            elif key in ("limit", "offset"):
                if not value.isdigit():
                    raise ApiError(400, "PGRST100", f'"failed to parse {key} ({value})"')
                limit, offset = (int(value), offset) if key == "limit" else (limit, int(value))
            else:
                where.append(_filter(_column(key), value, values))
        with self._session(role) as conn:
            kind = conn.execute(
                "select c.relkind from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n"
                " on n.oid = c.relnamespace where n.nspname = %s and c.relname = %s and c.relkind in"
                " ('r', 'p', 'v', 'm', 'f')", (schema, relation)).fetchone()
            conn.rollback()
            if kind is None:
                raise ApiError(404, "PGRST205", f"Could not find the table '{schema}.{relation}' in the schema cache")
            self._prelude(conn, schema, role, claims, "GET", path, headers)
            inner = sql.SQL("select {} from {}.{}").format(sql.SQL(", ").join(columns), sql.Identifier(schema),
                                                          sql.Identifier(relation))
            if where:
                inner += sql.SQL(" where ") + sql.SQL(" and ").join(where)
            if order:
                inner += sql.SQL(" order by ") + sql.SQL(", ").join(order)
            if limit is not None:
                inner += sql.SQL(" limit {}").format(sql.Literal(limit))
            if offset is not None:
                inner += sql.SQL(" offset {}").format(sql.Literal(offset))
            query_sql = sql.SQL("select coalesce(jsonb_agg(r), '[]'::jsonb) from ({}) as r").format(inner)
            result = conn.execute(query_sql, values).fetchone()[0]
            conn.commit()
        return 200, json.dumps(result).encode()


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _column(name: str) -> str:
    if not _IDENT.match(name):
        raise ApiError(400, "PGRST100", f'"failed to parse column ({name})"')
    return name


def _filter(column: str, expression: str, values: list[Any]) -> sql.Composable:
    """One PostgREST horizontal filter as SQL; values are bound as text and cast by the column's type."""
    op, _, value = expression.partition(".")
    negate = op == "not"
    if negate:
        op, _, value = value.partition(".")
    ident = sql.Identifier(column)
    if op in _OPS:
        values.append(value)
        clause = sql.SQL("{} {} %s").format(ident, sql.SQL(_OPS[op]))
    elif op == "is" and value in ("null", "true", "false"):
        clause = sql.SQL("{} is {}").format(ident, sql.SQL(value))
    elif op == "in" and value.startswith("(") and value.endswith(")"):
        items = [v.strip().strip('"') for v in value[1:-1].split(",") if v.strip()]
        values.extend(items)
        clause = sql.SQL("{} in ({})").format(ident, sql.SQL(", ").join(sql.SQL("%s") for _ in items)) if items \
            else sql.SQL("false")
    else:
        raise ApiError(400, "PGRST100", f'"failed to parse filter ({column}={expression})"')
    return sql.SQL("not ({})").format(clause) if negate else clause


def _as_text(value: Any, sql_type: str) -> str | None:
    """A JSON argument as the text PostgreSQL casts to the parameter's type."""
    if value is None:
        return None
    if sql_type in ("json", "jsonb") or isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "trackgen-gateway"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet: tests read Gateway.log

    def _route(self) -> str | None:
        path = urlsplit(self.path).path
        for prefix in self.gateway.config.prefixes:
            if path.startswith(prefix + "/rpc/") and path.count("/") == prefix.count("/") + 2:
                return path
        return None

    def _cors(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "Content-Range, Content-Profile"} \
            if origin else {}

    def _send(self, status: int, body: bytes | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"")))
        for key, value in {**self._cors(), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's naming
        self._send(200, None, {
            "Access-Control-Allow-Origin": self.headers.get("Origin", "*"),
            "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
            "Access-Control-Allow-Headers": self.headers.get("Access-Control-Request-Headers", "*"),
            "Access-Control-Max-Age": "86400",
        })

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self._route()
        if path is None:
            self._error(ApiError(404, "PGRST125", f"Invalid path specified in request URL: {self.path}"))
            return
        try:
            status, payload, drop = self.gateway.call(path, self.headers, body)
        except ApiError as exc:
            self._error(exc)
            return
        if drop:
            self.gateway.log.append(("POST", path, None))
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.gateway.log.append(("POST", path, status))
        profile = self.headers.get("Content-Profile")
        self._send(status, payload, {"Content-Profile": profile} if profile else {})

    def _error(self, exc: ApiError) -> None:
        self.gateway.log.append((self.command, urlsplit(self.path).path, exc.status))
        self._send(exc.status, json.dumps(exc.body).encode(), exc.headers)

    def _relation(self) -> str | None:
        path = urlsplit(self.path).path
        for prefix in self.gateway.config.prefixes:
            if prefix and path.startswith(prefix + "/") and path.count("/") == prefix.count("/") + 1:
                return path
        return None

    def do_GET(self) -> None:  # noqa: N802
        query = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        rpc, relation = self._route(), self._relation()
        try:
            if rpc is not None:
                status, payload, _drop = self.gateway.call(rpc, self.headers, b"", method="GET", query=query)
            elif relation is not None:
                status, payload = self.gateway.read(relation, self.headers, query)
            else:
                raise ApiError(404, "PGRST125", f"Invalid path specified in request URL: {self.path}")
        except ApiError as exc:
            self._error(exc)
            return
        self.gateway.log.append(("GET", urlsplit(self.path).path, status))
        profile = self.headers.get("Accept-Profile")
        self._send(status, payload, {"Content-Profile": profile} if profile else {})


#: the request handler, for servers that add routes in front of the PostgREST ones (tools/demo.py)
RequestHandler = _Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string of the login role (authenticator)")
    parser.add_argument("--jwt-secret", required=True)
    parser.add_argument("--schemas", default="public", help="exposed schemas, comma separated; first is the default")
    parser.add_argument("--anon-role", default="anon")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=54321)
    args = parser.parse_args(argv)
    gateway = Gateway(GatewayConfig(dsn=args.dsn, jwt_secret=args.jwt_secret,
                                    schemas=tuple(s.strip() for s in args.schemas.split(",") if s.strip()),
                                    anon_role=args.anon_role or None))
    url = gateway.start(args.host, args.port)
    print(f"gateway on {url}/rest/v1 (schemas: {', '.join(gateway.config.schemas)})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        gateway.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["ApiError", "Gateway", "GatewayConfig", "RequestHandler", "http_status"]

