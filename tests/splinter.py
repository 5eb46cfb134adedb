"""A small re-implementation of the Supabase database linter (splinter) rules
that trackgen's generated SQL must satisfy (see DESIGN.md, "Database contract").

Each rule is one catalog query against a live PostgreSQL (15+) connection,
restricted to the schemas we own. ``schemas[0]`` is the schema exposed through
the Data API (PostgREST), e.g. ``analytics``; the remaining ones are private,
e.g. ``analytics_private``.

Where splinter's own check is narrower than what the design contract asks for,
the rule here is deliberately stricter (a superset), never laxer, so that "our
checker is silent" implies "splinter is silent" for our objects. The
differences are written down in each rule's docstring.

The queries are our own; only the facts about what each splinter lint detects
were taken from the splinter repository and Supabase's database linter docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class Finding:
    rule: str  # e.g. "0010_security_definer_view"
    object: str  # fully qualified, e.g. "analytics.kpi_daily"
    detail: str  # what is wrong and how to fix it


# Objects that belong to an extension (pg_depend deptype 'e') are not ours to
# fix; splinter skips them as well.
_NOT_EXTENSION_MEMBER = """
    not exists (
        select 1 from pg_catalog.pg_depend d
        where d.classid = {catalog}::regclass
          and d.objid = {oid}
          and d.deptype = 'e'
    )
"""


def _not_ext(catalog: str, oid: str) -> str:
    return _NOT_EXTENSION_MEMBER.format(catalog=f"'pg_catalog.{catalog}'", oid=oid)


RuleFn = Callable[[psycopg.Cursor, list[str], list[str]], list[Finding]]


# ---------------------------------------------------------------------------
# 0003 auth_rls_initplan
# ---------------------------------------------------------------------------

# A call is "wrapped" when it is the direct operand of a scalar sub-select,
# which is how PostgreSQL deparses "(select auth.uid())":
#     ( SELECT auth.uid() AS uid)
# "(select (auth.jwt() -> 'x'))" deparses as "( SELECT ((auth.jwt() -> ..."
# and is still reported, exactly like splinter's text match would; write
# "((select auth.jwt()) -> 'x')" instead.
_PER_ROW_CALL = r"(auth\.(uid|jwt|role|email)\(\)|current_setting\()"
_WRAPPED_CALL = r"\(\s*select\s+" + _PER_ROW_CALL


def rule_0003_auth_rls_initplan(cur, exposed, private):
    """Splinter lint 0003 auth_rls_initplan (WARN, performance).

    An RLS policy that calls ``auth.uid()``, ``auth.jwt()``, ``auth.role()``,
    ``auth.email()`` (or, our addition, ``current_setting(``) directly makes
    PostgreSQL evaluate the call once per row; wrapping it as
    ``(select auth.uid())`` turns it into an InitPlan evaluated once per
    statement. We inspect the deparsed ``pg_policies.qual`` / ``with_check``
    text (deparsed with an empty search_path so that ``auth.`` is always
    printed) and report every policy with at least one call that is not the
    direct operand of a ``(select ...)``.

    Stricter than splinter: splinter passes a policy as soon as *one* wrapped
    occurrence of the function exists, and only looks at tables with RLS
    enabled; we check every occurrence and every policy on our tables.
    """
    cur.execute(
        """
        select format('%%I.%%I policy %%I', pol.schemaname, pol.tablename, pol.policyname),
               clause.name,
               array(
                   select distinct lower(m.arr[1])
                   from regexp_matches(
                       regexp_replace(clause.expr, %(wrapped)s, '', 'gi'),
                       %(call)s, 'gi') as m(arr)
                   order by 1)
        from pg_catalog.pg_policies pol
        cross join lateral (values ('USING', pol.qual), ('WITH CHECK', pol.with_check))
            as clause(name, expr)
        where pol.schemaname::text = any(%(schemas)s::text[])
          and clause.expr is not null
          and regexp_replace(clause.expr, %(wrapped)s, '', 'gi') ~* %(call)s
        """,
        {
            "schemas": exposed + private,
            "wrapped": _WRAPPED_CALL,
            "call": _PER_ROW_CALL,
        },
    )
    findings = []
    for obj, clause, calls in cur.fetchall():
        shown = ", ".join(c if c.endswith(")") else c + "...)" for c in calls)
        findings.append(
            Finding(
                "0003_auth_rls_initplan",
                obj,
                f"{clause} clause calls {shown} once per row; make each call "
                f"the whole of a sub-select, e.g. ((select auth.jwt()) -> 'app_metadata'), "
                f"so it is evaluated once per statement",
            )
        )
    return findings


# ---------------------------------------------------------------------------
# 0007 / 0008 / 0013: row level security on tables
# ---------------------------------------------------------------------------


def rule_0007_policy_exists_rls_disabled(cur, exposed, private):
    """Splinter lint 0007 policy_exists_rls_disabled (security).

    A table has RLS policies but row level security is not enabled on it, so
    the policies are silently ignored. Checked in every given schema.

    Stricter than splinter: partitioned tables (relkind 'p') are checked as
    well as plain tables (relkind 'r').
    """
    cur.execute(
        f"""
        select format('%%I.%%I', n.nspname, c.relname),
               string_agg(quote_ident(p.polname), ', ' order by p.polname)
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_policy p on p.polrelid = c.oid
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind in ('r', 'p')
          and not c.relrowsecurity
          and {_not_ext('pg_class', 'c.oid')}
        group by n.nspname, c.relname
        """,
        {"schemas": exposed + private},
    )
    return [
        Finding(
            "0007_policy_exists_rls_disabled",
            obj,
            f"has policies ({policies}) but row level security is disabled, so "
            f"they are ignored; alter table ... enable row level security",
        )
        for obj, policies in cur.fetchall()
    ]


def rule_0008_rls_enabled_no_policy(cur, exposed, private):
    """Splinter lint 0008 rls_enabled_no_policy (security, INFO).

    Row level security is enabled on a table that has no policy at all, so
    every non-owner, non-BYPASSRLS role sees no rows: usually a forgotten
    policy. Checked in every given schema; partitioned tables included.
    """
    cur.execute(
        f"""
        select format('%%I.%%I', n.nspname, c.relname)
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind in ('r', 'p')
          and c.relrowsecurity
          and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid)
          and {_not_ext('pg_class', 'c.oid')}
        """,
        {"schemas": exposed + private},
    )
    return [
        Finding(
            "0008_rls_enabled_no_policy",
            obj,
            "row level security is enabled but no policy exists; add a policy "
            "or, for a table only the owner reads, keep RLS off and grant nothing",
        )
        for (obj,) in cur.fetchall()
    ]


def rule_0013_rls_disabled_in_public(cur, exposed, private):
    """Splinter lint 0013 rls_disabled_in_public (security, ERROR).

    A table in the exposed (API) schema without row level security: anyone
    the Data API lets in could read or write every row.

    Stricter than splinter: splinter only reports such a table once anon or
    authenticated can SELECT it; we report it regardless of current grants
    (Supabase's documented default privileges for exposed schemas grant ALL
    on new tables to anon and authenticated), and include partitioned tables.
    """
    cur.execute(
        f"""
        select format('%%I.%%I', n.nspname, c.relname),
               pg_catalog.has_table_privilege('anon', c.oid, 'SELECT')
                 or pg_catalog.has_table_privilege('authenticated', c.oid, 'SELECT')
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind in ('r', 'p')
          and not c.relrowsecurity
          and {_not_ext('pg_class', 'c.oid')}
        """,
        {"schemas": exposed},
    )
    return [
        Finding(
            "0013_rls_disabled_in_public",
            obj,
            "table in the exposed schema without row level security"
            + (" and selectable by anon/authenticated" if selectable else "")
            + "; enable row level security and add policies",
        )
        for obj, selectable in cur.fetchall()
    ]


# ---------------------------------------------------------------------------
# 0010 security_definer_view
# ---------------------------------------------------------------------------


def rule_0010_security_definer_view(cur, exposed, private):
    """Splinter lint 0010 security_definer_view (security, ERROR).

    A view in the exposed schema that does not have ``security_invoker`` set
    to a true value runs with its owner's privileges and bypasses the
    caller's RLS. Any boolean spelling PostgreSQL accepts (true/on/yes/1)
    counts as set.

    Stricter than splinter: splinter only reports views anon or authenticated
    can SELECT; we report every such view in the exposed schema.
    """
    cur.execute(
        f"""
        select format('%%I.%%I', n.nspname, c.relname),
               coalesce(opt.value, '(not set)')
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join lateral (
            select o.option_value as value
            from pg_catalog.pg_options_to_table(c.reloptions) o
            where o.option_name = 'security_invoker'
        ) opt on true
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind = 'v'
          and not coalesce(opt.value::boolean, false)
          and {_not_ext('pg_class', 'c.oid')}
        """,
        {"schemas": exposed},
    )
    return [
        Finding(
            "0010_security_definer_view",
            obj,
            f"view runs with its owner's rights (security_invoker {value}); "
            f"create it with (security_invoker = true)",
        )
        for obj, value in cur.fetchall()
    ]


# ---------------------------------------------------------------------------
# 0011 function_search_path_mutable
# ---------------------------------------------------------------------------


def rule_0011_function_search_path_mutable(cur, exposed, private):
    """Splinter lint 0011 function_search_path_mutable (security, WARN).

    A function or procedure without its own ``search_path`` setting
    (``proconfig`` has no ``search_path=...`` entry) resolves names through
    the caller's search_path, which the caller controls. Checked in every
    given schema; extension members are skipped as in splinter. Aggregates are
    reported too, as splinter does, although they cannot carry a SET clause:
    the only fix is not to define aggregates in our schemas.
    """
    cur.execute(
        f"""
        select p.oid::regprocedure::text,
               case p.prokind
                   when 'p' then 'procedure'
                   when 'a' then 'aggregate'
                   when 'w' then 'window function'
                   else 'function'
               end,
               p.prosecdef
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and not exists (
              select 1 from unnest(coalesce(p.proconfig, '{{}}')) as cfg(setting)
              where cfg.setting like 'search_path=%%'
          )
          and {_not_ext('pg_proc', 'p.oid')}
        """,
        {"schemas": exposed + private},
    )
    findings = []
    for obj, kind, definer in cur.fetchall():
        if kind == "aggregate":
            fix = ("an aggregate cannot carry a SET clause but splinter reports it "
                   "anyway; do not define aggregates in these schemas")
        else:
            fix = "add set search_path = '' and qualify every name"
        findings.append(
            Finding(
                "0011_function_search_path_mutable",
                obj,
                f"{'security definer ' if definer else ''}{kind} has no fixed "
                f"search_path; {fix}",
            )
        )
    return findings


# ---------------------------------------------------------------------------
# 0015 rls_references_user_metadata
# ---------------------------------------------------------------------------

_USER_METADATA = r"(raw_)?user_meta_?data"


def rule_0015_rls_references_user_metadata(cur, exposed, private):
    """Splinter lint 0015 rls_references_user_metadata (security, ERROR).

    ``user_metadata`` in the JWT (``raw_user_meta_data`` in auth.users) is
    editable by the end user, so it must never feed a security decision.
    Splinter matches policy text that reads ``user_metadata`` from
    ``auth.jwt()`` or ``current_setting('request.jwt.claims')``.

    Stricter than splinter: we report any mention of user_metadata /
    raw_user_meta_data in a policy (USING or WITH CHECK), in the definition
    of a view or materialized view, or in the body of a function in the given
    schemas (our claim-reading helpers live in functions). Being a text
    match, a comment mentioning the word is reported too.
    """
    cur.execute(
        f"""
        select format('%%I.%%I policy %%I', pol.schemaname, pol.tablename, pol.policyname),
               'policy'
        from pg_catalog.pg_policies pol
        where pol.schemaname::text = any(%(schemas)s::text[])
          and (pol.qual ~* %(pattern)s or pol.with_check ~* %(pattern)s)
        union all
        select format('%%I.%%I', n.nspname, c.relname),
               case c.relkind when 'm' then 'materialized view' else 'view' end
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind in ('v', 'm')
          and pg_catalog.pg_get_viewdef(c.oid) ~* %(pattern)s
          and {_not_ext('pg_class', 'c.oid')}
        union all
        select p.oid::regprocedure::text, 'function'
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and p.prosrc ~* %(pattern)s
          and {_not_ext('pg_proc', 'p.oid')}
        """,
        {"schemas": exposed + private, "pattern": _USER_METADATA},
    )
    return [
        Finding(
            "0015_rls_references_user_metadata",
            obj,
            f"{kind} references user_metadata, which end users can edit; "
            f"read claims from app_metadata instead",
        )
        for obj, kind in cur.fetchall()
    ]


# ---------------------------------------------------------------------------
# 0016 materialized_view_in_api
# ---------------------------------------------------------------------------

_SELECTABLE = """(
    pg_catalog.has_table_privilege({role}, {oid}, 'SELECT')
    or pg_catalog.has_any_column_privilege({role}, {oid}, 'SELECT')
)"""


def _selectable(role: str, oid: str) -> str:
    return _SELECTABLE.format(role=f"'{role}'", oid=oid)


def rule_0016_materialized_view_in_api(cur, exposed, private):
    """Splinter lint 0016 materialized_view_in_api (security, WARN).

    A materialized view in the exposed schema that anon or authenticated can
    SELECT (directly, through PUBLIC, or through a column grant: we add
    has_any_column_privilege to splinter's has_table_privilege). Materialized
    views cannot have RLS, so every row is visible to those roles. Private
    schemas are covered by the trackgen_private_relation_accessible rule.
    """
    cur.execute(
        f"""
        select format('%%I.%%I', n.nspname, c.relname),
               {_selectable('anon', 'c.oid')},
               {_selectable('authenticated', 'c.oid')}
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and c.relkind = 'm'
          and ({_selectable('anon', 'c.oid')} or {_selectable('authenticated', 'c.oid')})
          and {_not_ext('pg_class', 'c.oid')}
        """,
        {"schemas": exposed},
    )
    return [
        Finding(
            "0016_materialized_view_in_api",
            obj,
            "materialized view (no RLS) is selectable by "
            + " and ".join(r for r, ok in (("anon", anon), ("authenticated", auth)) if ok)
            + "; keep it in the private schema and read it through a view or function",
        )
        for obj, anon, auth in cur.fetchall()
    ]


# ---------------------------------------------------------------------------
# 0028 / 0029 security definer functions executable by API roles
# ---------------------------------------------------------------------------


def _definer_executable_by(cur, exposed, role: str) -> list[tuple[str]]:
    cur.execute(
        """
        select p.oid::regprocedure::text
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname::text = any(%(schemas)s::text[])
          and p.prosecdef
          and pg_catalog.has_function_privilege(%(role)s, p.oid, 'EXECUTE')
        """,
        {"schemas": exposed, "role": role},
    )
    return cur.fetchall()


def rule_0028_anon_security_definer_function_executable(cur, exposed, private):
    """Splinter lint 0028 anon_security_definer_function_executable (security).

    A SECURITY DEFINER function in the exposed schema that ``anon`` may
    EXECUTE (remember: PostgreSQL grants EXECUTE to PUBLIC on every new
    function) is an RPC endpoint anyone with the public key can call with the
    owner's privileges, bypassing RLS.
    """
    return [
        Finding(
            "0028_anon_security_definer_function_executable",
            obj,
            "security definer function in the exposed schema is executable by "
            "anon; move it to the private schema behind a security invoker "
            "wrapper, or revoke execute from public and anon",
        )
        for (obj,) in _definer_executable_by(cur, exposed, "anon")
    ]


def rule_0029_authenticated_security_definer_function_executable(cur, exposed, private):
    """Splinter lint 0029 authenticated_security_definer_function_executable.

    Same as 0028 for the ``authenticated`` role: any signed-in user can call
    the SECURITY DEFINER function in the exposed schema with its owner's
    privileges.
    """
    return [
        Finding(
            "0029_authenticated_security_definer_function_executable",
            obj,
            "security definer function in the exposed schema is executable by "
            "authenticated; move it to the private schema behind a security "
            "invoker wrapper, or revoke execute from public and authenticated",
        )
        for (obj,) in _definer_executable_by(cur, exposed, "authenticated")
    ]


# ---------------------------------------------------------------------------
# trackgen's own rule
# ---------------------------------------------------------------------------

_DATA_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")


def rule_private_relation_accessible(cur, exposed, private):
    """trackgen rule (not in splinter): private relations stay private.

    No table, partitioned table, view, materialized view or foreign table in
    a private schema may be readable by ``anon`` or ``authenticated``
    (has_table_privilege, plus has_any_column_privilege for column grants).
    Write privileges (INSERT, UPDATE, DELETE, TRUNCATE) are reported as well:
    writes go through ``analytics.track_events`` only.
    """
    privs = []
    for role in ("anon", "authenticated"):
        for priv in _DATA_PRIVILEGES:
            check = f"pg_catalog.has_table_privilege('{role}', c.oid, '{priv}')"
            if priv in ("SELECT", "INSERT", "UPDATE"):
                check = (
                    f"({check} or pg_catalog.has_any_column_privilege("
                    f"'{role}', c.oid, '{priv}'))"
                )
            privs.append(f"case when {check} then '{role}:{priv}' end")
    cur.execute(
        f"""
        select obj, kind, held
        from (
            select format('%%I.%%I', n.nspname, c.relname) as obj,
                   case c.relkind
                       when 'v' then 'view'
                       when 'm' then 'materialized view'
                       when 'f' then 'foreign table'
                       else 'table'
                   end as kind,
                   array_remove(array[{', '.join(privs)}], null) as held
            from pg_catalog.pg_class c
            join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where n.nspname::text = any(%(schemas)s::text[])
              and c.relkind in ('r', 'p', 'v', 'm', 'f')
              and {_not_ext('pg_class', 'c.oid')}
        ) rel
        where cardinality(held) > 0
        """,
        {"schemas": private},
    )
    findings = []
    for obj, kind, held in cur.fetchall():
        by_role: dict[str, list[str]] = {}
        for item in held:
            role, priv = item.split(":")
            by_role.setdefault(role, []).append(priv)
        shown = "; ".join(f"{role}: {', '.join(p)}" for role, p in by_role.items())
        findings.append(
            Finding(
                "trackgen_private_relation_accessible",
                obj,
                f"{kind} in a private schema is accessible to API roles "
                f"({shown}); revoke all from public, anon, authenticated",
            )
        )
    return findings


RULES: tuple[RuleFn, ...] = (
    rule_0003_auth_rls_initplan,
    rule_0007_policy_exists_rls_disabled,
    rule_0008_rls_enabled_no_policy,
    rule_0010_security_definer_view,
    rule_0011_function_search_path_mutable,
    rule_0013_rls_disabled_in_public,
    rule_0015_rls_references_user_metadata,
    rule_0016_materialized_view_in_api,
    rule_0028_anon_security_definer_function_executable,
    rule_0029_authenticated_security_definer_function_executable,
    rule_private_relation_accessible,
)


def lint(conn: psycopg.Connection, schemas: list[str]) -> list[Finding]:
    """Run every rule against ``conn`` for ``schemas`` and return the findings
    sorted by (rule, object, detail).

    ``schemas[0]`` is the exposed schema, the rest are private. Needs the
    roles anon and authenticated to exist. The search_path is emptied while
    the rules run (deparsed policy text only shows ``auth.`` when the auth
    schema is not on the search_path) and restored afterwards.
    """
    if not schemas:
        raise ValueError("lint needs at least the exposed schema")
    exposed, private = [schemas[0]], list(schemas[1:])
    findings: list[Finding] = []
    with conn.cursor() as cur:
        cur.execute("select pg_catalog.current_setting('search_path')")
        (saved,) = cur.fetchone()
        cur.execute("select pg_catalog.set_config('search_path', '', false)")
        try:
            for rule in RULES:
                findings.extend(rule(cur, exposed, private))
        finally:
            # After an error inside a transaction the rollback restores it.
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                cur.execute(
                    "select pg_catalog.set_config('search_path', %s, false)", (saved,)
                )
    return sorted(findings, key=lambda f: (f.rule, f.object, f.detail))
