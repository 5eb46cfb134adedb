"""``make bench``: the performance harness of the generated database.

It starts a private PostgreSQL cluster with pg_cron, applies
``generated/supabase/schemas/*.sql`` on the Supabase stand-ins, loads a synthetic
workload made from the taxonomy itself, measures ingestion, refresh, reads,
freshness, the generator and the application under refresh side by side in one
run, and writes ``reports/performance.md``, ``reports/performance.json`` and plots.

Everything it refreshes and reads is discovered in the database (pg_cron's
``cron.job``, the views and functions of the exposed schema), not taken from the
generator's naming rules, so the bench keeps working when object names change.

Modules: ``scales`` (sizes per SCALE), ``workload`` (the synthetic events),
``regex`` (strings for ``pattern`` properties), ``cluster`` (server, schema,
tuning), ``discover`` (what to refresh and read), ``load`` (COPY and
track_events drivers), ``measure`` (B1-B6, sizes, EXPLAIN), ``synthtax`` (the
1,000-event taxonomy of B5), ``report`` (markdown, JSON, plots), ``run`` (the
order of the phases), ``progress`` (rows, elapsed, rate on stderr).
"""
