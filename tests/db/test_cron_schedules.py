"""Refresh schedules against the real pg_cron: what the compiler accepts, cron.schedule accepts.

``generator.cron.pg_cron_accepts`` is a port of pg_cron 1.4.2's parser and
``schedule_problem`` is the compiler's rule (E315). Each schedule below is given to
``cron.schedule`` in the test cluster inside a savepoint that is rolled back, and:

- every schedule the compiler accepts is accepted by the real pg_cron (whatever its version);
- with pg_cron 1.4 installed (Debian 12), the port's verdict equals the real one on the list
  and on random cron-like strings, quirks included (a sixth field or junk after a number is
  skipped by pg_cron's parser; the compiler refuses those on purpose, see generator/cron.py).
"""

from __future__ import annotations

import psycopg
import pytest
from dbutil import ensure_pg_cron
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cron import pg_cron_accepts, schedule_problem

pytestmark = pytest.mark.db

#: well formed: the compiler accepts all of these
VALID = [
    "* * * * *", "*/5 * * * *", "*/15 * * * *", "0 * * * *", "0 3 * * *", "30 2 1 * *", "0 0 1 1 *",
    "0 0 * * 0", "0 0 * * 7", "0 9-17 * * 1-5", "0 9-17/2 * * Mon-Fri", "15,45 * * * *", "0 0 1,15 * *",
    "0 0 * Jan,Jul *", "0 0 * jan-jun/2 *", "0 12 * * sun", "59 23 31 12 6", "0-59/59 * * * *", "*/59 * * * *",
    "0 */23 * * *", "1-5,10-20/5,30 * * * *", " * * * * * ", "*\t*\t*\t*\t*", "0 0 1-31/30 * *", "05 03 * * *",
    "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually",
]
#: refused by pg_cron 1.4 itself
REJECTED = [
    "0 25 * * *", "60 * * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * 0 *", "* * * * 8",
    "90 seconds", "30 seconds", "1 second", "* * * *", "*", "", "   ", "1/5 * * * *", "*/0 * * * *",
    "5-64/30 * * * *", "1,,2 * * * *", "1, 2 * * * *", "1,2, * * * *", "- * * * *", "1- * * * *",
    "@Daily", "@every_minute", "@ daily", "0 0 * * Sunday", "0 0 * January *", "Mon * * * *",
    "0 0 * * Mon-Sunday", "*/x * * * *", "a b c d e",
]
#: accepted by pg_cron 1.4 but misread or useless: the compiler refuses them
MISREAD = [
    "*/5 * * * * *",  # a sixth field is ignored: every 5 minutes, not every 5 seconds
    "0 3 * * * echo", "@daily extra", "0.5 * * * *", "5% * * * *", "*x * * * *", "*-5 * * * *",
    "30-10 * * * *", "0 0 * * Mon-Sun", "*/90 * * * *", "0 */24 * * *", "0-59/60 * * * *",
    "@reboot", "@restart", "4294967301 * * * *", "# every minute\n* * * * *", "\n* * * * *", "* * * * *\r",
]


def _real_verdicts(conn: psycopg.Connection, schedules: list[str]) -> dict[str, bool]:
    """cron.schedule's verdict on each schedule; nothing is left scheduled."""
    out: dict[str, bool] = {}
    with conn.transaction(force_rollback=True):
        for schedule in schedules:
            try:
                with conn.transaction():
                    conn.execute("select cron.schedule('trackgen_schedule_probe', %s, 'select 1')", (schedule,))
                out[schedule] = True
            except psycopg.errors.InvalidParameterValue as exc:
                assert "invalid schedule" in str(exc), exc
                out[schedule] = False
    return out


@pytest.fixture(scope="module")
def cron_conn(pg_cluster):
    with pg_cluster.connect(autocommit=True) as conn:
        version = ensure_pg_cron(conn)
        conn.autocommit = False
        yield conn, version


def test_compiler_verdicts_hold_on_the_real_pg_cron(cron_conn):
    conn, version = cron_conn
    real = _real_verdicts(conn, VALID + REJECTED + MISREAD)
    assert all(real[s] for s in VALID), [s for s in VALID if not real[s]]
    for schedule, accepted in real.items():
        if schedule_problem(schedule) is None:
            assert accepted, f"the compiler accepts {schedule!r} but pg_cron {version} refuses it"
    assert [s for s in VALID if schedule_problem(s)] == []
    assert [s for s in REJECTED + MISREAD if schedule_problem(s) is None] == []
    if version.startswith("1.4"):
        assert [s for s in REJECTED if real[s]] == []
        assert [s for s in MISREAD if not real[s]] == [], "pg_cron 1.4 accepts these; the compiler refuses them"
        wrong = {s: real[s] for s in real if pg_cron_accepts(s) != real[s]}
        assert wrong == {}, f"the port disagrees with pg_cron {version} (real verdict shown)"


cron_like = st.text(alphabet="0123456789*/-, \t@abcdefhiJFMASONDmnorstuwyl", max_size=24)
fields = st.lists(st.sampled_from(["*", "*/5", "0", "59", "60", "1-5", "5-1", "1-5/2", "1/2", "Mon", "jan",
                                   "7", "32", "0,30", ",", "-", "*/0", "24", "13", "x"]), min_size=3, max_size=7)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(schedules=st.lists(cron_like | fields.map(" ".join), min_size=1, max_size=8))
def test_port_equals_pg_cron_1_4_on_random_schedules(cron_conn, schedules):
    conn, version = cron_conn
    if not version.startswith("1.4"):
        pytest.skip(f"the port is of pg_cron 1.4; pg_cron {version} is installed")
    real = _real_verdicts(conn, schedules)
    for schedule, accepted in real.items():
        assert pg_cron_accepts(schedule) == accepted, (schedule, accepted)
        if schedule_problem(schedule) is None:
            assert accepted, schedule
