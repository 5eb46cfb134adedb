"""The synthetic workload, made from the taxonomy itself and deterministic by seed.

- **Population**: ``scale.sites`` sites, one holding about 20% of the events, a few
  large ones and a long tail of small ones (Zipf-like); four in five sites belong
  to a network of five sites. ``scale.actors`` actors spread over the sites in
  proportion, each with a caller tier (the lowest tier most common, each higher
  one rarer: the tier mix), a heavy-tailed activity level and a join time (30% were
  there before the history starts, the rest join during it).
- **Events**: an actor sends events of its own tier (half), of the tiers below it
  (a fifth) and system events (the rest; 70/30 for the lowest tier), each group
  Zipf-weighted, so every active event of the taxonomy occurs. An actor that joins
  during the history starts with a cohort event of a retention KPI its tier may
  send (e.g. a sign-up), so retention cohorts fill.
- **Time**: the ``scale.days`` whole UTC days before the anchor's day (the bench's start), busier on
  weekdays, growing over time, with a daily curve peaking in the afternoon (UTC).
- **Payloads**: valid for each event's property schema (enums Zipf-weighted,
  bounded numbers, patterns sampled, formats, arrays, optional properties present
  70% of the time): a pool of ``POOL`` payloads per event, each checked against the
  event's JSON Schema in generated/jsonschema/ when that file exists.
- **Deliveries**: 1% arrive late (1 hour to 6 days after they happened; within
  ``track_events``' 7-day limit) and 0.5% are delivered twice with the same
  idempotency key. COPY loads drop the second delivery, as ``track_events`` would
  (its key is already taken); the ``track_events`` drivers send both and the
  database answers ``duplicate``.

Nothing here knows the SQL objects: rows are formatted for the event store's
columns (``COPY``) and for the wire format of ``analytics.track_events``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from generator.model import Event, Taxonomy, ValueType

from . import regex
from .scales import Scale

POOL = 256  # distinct payloads per event
LATE_SHARE = 0.01
DUPLICATE_SHARE = 0.005
US = 1_000_000
DAY_US = 86_400 * US
HOUR_US = 3_600 * US

#: the event store's columns a COPY fills (the rest take their defaults, e.g. ingest_xid)
EVENT_COLUMNS = ("event_id", "site_id", "network_id", "actor_hash", "actor_tier", "occurred_at", "received_at",
                 "idempotency_key", "plan_version", "payload")
KEY_COLUMNS = ("site_id", "idempotency_key", "occurred_at")


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible stream per purpose (adding a purpose changes no other stream)."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def to_us(moment: datetime) -> int:
    return int(moment.timestamp() * US)


@dataclass
class Deliveries:
    """Columnar event deliveries, in arrival order."""

    actor: np.ndarray  # int32 index into the population
    event: np.ndarray  # int32 index into Workload.events
    occurred: np.ndarray  # int64 microseconds since the epoch
    received: np.ndarray  # int64
    key: np.ndarray  # (n, 16) uint8: the idempotency key
    payload: np.ndarray  # int32 index into the event's payload pool
    duplicate: np.ndarray  # bool: a second delivery of an earlier row (same key)
    late: np.ndarray  # bool
    shard: np.ndarray  # float64 in [0, 1): history steps take the rows with shard < fraction

    def __len__(self) -> int:
        return len(self.actor)

    def take(self, index: np.ndarray) -> Deliveries:
        return Deliveries(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[Deliveries]) -> Deliveries:
        return Deliveries(*(np.concatenate([getattr(p, f) for p in parts]) for f in Deliveries.__dataclass_fields__))


@dataclass(frozen=True)
class TrackBatch:
    """One ``analytics.track_events`` call: the caller's JWT claims and the wire-format array."""

    actor: int
    claims: dict[str, Any]
    body: str  # JSON array text
    size: int
    duplicates: int


class Workload:
    def __init__(self, taxonomy: Taxonomy, scale: Scale, seed: int, anchor: datetime,
                 schema_dir: Path | None = None):
        self.tax = taxonomy
        self.scale = scale
        self.seed = seed
        self.anchor = anchor.astimezone(UTC).replace(microsecond=0)
        self.anchor_us = to_us(self.anchor)
        # the history is the last `days` whole UTC days before the anchor's day; today gets the new events
        self.end_us = to_us(self.anchor.replace(hour=0, minute=0, second=0))
        self.start_us = self.end_us - scale.days * DAY_US
        self.events: list[Event] = [e for e in taxonomy.events if e.active]
        self.event_ids = [e.id for e in self.events]
        self.callers = sorted((t for t in taxonomy.tiers if not t.system), key=lambda t: t.rank)
        self.system_tiers = {t.name for t in taxonomy.tiers if t.system}
        self.secret: bytes | None = None
        self.plan_version = ""
        self._make_population()
        self._make_mix()
        self._make_days()
        self.pools = self._make_pools(schema_dir)
        self._copy_payloads = [[p.replace("\\", "\\\\") for p in pool] for pool in self.pools]

    # ------------------------------------------------------------------ population

    def _make_population(self) -> None:
        s, rng = self.scale, rng_for(self.seed, "population")
        n_sites = s.sites
        tail = 1.0 / (np.arange(1, n_sites) + 1.5) ** 1.1
        weights = np.concatenate([[0.2], 0.8 * tail / tail.sum()]) if n_sites > 1 else np.array([1.0])
        self.site_weight = weights
        self.site_ids = [_uuid(rng.bytes(16)) for _ in range(n_sites)]
        in_network = rng.random(n_sites) < 0.8
        in_network[0] = True
        networks = [_uuid(rng.bytes(16)) for _ in range(n_sites // 5 + 1)]
        self.site_network: list[str | None] = []
        member = 0
        for i in range(n_sites):
            if in_network[i]:
                self.site_network.append(networks[member // 5])
                member += 1
            else:
                self.site_network.append(None)
        counts = np.maximum(2, np.floor(weights * s.actors)).astype(np.int64)
        site_of = np.repeat(np.arange(n_sites, dtype=np.int32), counts)
        self.actor_site = site_of
        n = len(site_of)
        self.n_actors = n
        self.actor_sub = [_uuid(b) for b in _key_bytes(_uuid4_bytes(rng, n))]
        tier_w = 0.4 ** np.arange(len(self.callers))
        self.actor_tier = rng.choice(len(self.callers), size=n, p=tier_w / tier_w.sum()).astype(np.int32)
        activity = rng.lognormal(0.0, 1.0, size=n)
        # an actor's share of all events: its site's share, split by activity within the site
        site_activity = np.bincount(site_of, weights=activity, minlength=n_sites)
        self.actor_prob = weights[site_of] * activity / site_activity[site_of]
        self.actor_prob /= self.actor_prob.sum()
        early = rng.random(n) < 0.3
        join = rng.random(n) * s.days * DAY_US
        self.actor_join = np.where(early, 0, join).astype(np.int64) + self.start_us

    # ------------------------------------------------------------------ event mix

    def _make_mix(self) -> None:
        rng = rng_for(self.seed, "mix")
        by_tier: dict[str, list[int]] = {}
        for i, e in enumerate(self.events):
            by_tier.setdefault(e.tier, []).append(i)
        zipf: dict[str, np.ndarray] = {}
        for tier, idx in by_tier.items():
            order = rng.permutation(len(idx))
            w = np.empty(len(idx))
            w[order] = 1.0 / (np.arange(len(idx)) + 1.0) ** 0.8
            zipf[tier] = w / w.sum()
        system = [t for t in by_tier if t in self.system_tiers]
        self.mix: list[tuple[np.ndarray, np.ndarray]] = []
        for rank, tier in enumerate(self.callers):
            lower = [t.name for t in self.callers[:rank] if t.name in by_tier]
            groups: list[tuple[str, float]] = []
            own_share = 0.5 if lower else 0.7
            if tier.name in by_tier:
                groups.append((tier.name, own_share))
            groups += [(name, 0.2 / len(lower)) for name in lower]
            groups += [(name, 0.3 / len(system)) for name in system]
            idx = np.concatenate([np.array(by_tier[g], dtype=np.int32) for g, _ in groups])
            p = np.concatenate([zipf[g] * share for g, share in groups])
            self.mix.append((idx, p / p.sum()))
        # the first event of an actor who joins: a cohort event of a retention KPI its tier may send
        cohort_ids = sorted({e for k in self.tax.kpis if k.type == "retention" and k.cohort
                             for e in k.cohort.events})
        allowed = [set(idx.tolist()) for idx, _ in self.mix]
        self.first_event = [
            np.array([self.event_ids.index(c) for c in cohort_ids
                      if c in self.event_ids and self.event_ids.index(c) in allowed[t]], dtype=np.int32)
            for t in range(len(self.callers))
        ]

    def _make_days(self) -> None:
        s = self.scale
        days = np.arange(s.days)
        weekday = np.array([datetime.fromtimestamp(self.start_us // US + int(d) * 86_400, UTC).weekday() for d in days])
        trend = 0.7 + 0.6 * days / max(1, s.days - 1)
        w = trend * np.where(weekday >= 5, 0.45, 1.0)
        self.day_cdf = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
        hours = np.arange(24)
        hw = 0.15 + np.exp(-(((hours - 14) / 4.5) ** 2))
        self.hour_cdf = np.concatenate([[0.0], np.cumsum(hw) / hw.sum()])

    def _time_after(self, rng: np.random.Generator, not_before: np.ndarray) -> np.ndarray:
        """Moments in the history window, following the daily pattern, each >= its lower bound."""
        day_pos = (not_before - self.start_us) / DAY_US
        lo = np.interp(day_pos, np.arange(len(self.day_cdf)), self.day_cdf)
        u = lo + rng.random(len(not_before)) * (1.0 - lo)
        day = np.clip(np.searchsorted(self.day_cdf, u, side="right") - 1, 0, len(self.day_cdf) - 2)
        hour = np.searchsorted(self.hour_cdf, rng.random(len(u)), side="right") - 1
        within = rng.random(len(u)) * HOUR_US
        t = self.start_us + day * DAY_US + hour * HOUR_US + within.astype(np.int64)
        return np.maximum(t, not_before).astype(np.int64)

    # ------------------------------------------------------------------ payloads

    def _make_pools(self, schema_dir: Path | None) -> list[list[str]]:
        pools = []
        for e in self.events:
            rng = random.Random(f"{self.seed}/{e.id}")
            pool = [json.dumps(_payload(e, rng), separators=(",", ":"), sort_keys=True) for _ in range(POOL)]
            _check_against_schema(e, pool, schema_dir)
            pools.append(pool)
        return pools

    # ------------------------------------------------------------------ deliveries

    def _draw(self, rng: np.random.Generator, n: int, actors: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        actor = actors if actors is not None else rng.choice(self.n_actors, size=n, p=self.actor_prob).astype(np.int32)
        event = np.empty(n, dtype=np.int32)
        tiers = self.actor_tier[actor]
        for t, (idx, p) in enumerate(self.mix):
            rows = np.nonzero(tiers == t)[0]
            if len(rows):
                event[rows] = idx[rng.choice(len(idx), size=len(rows), p=p)]
        payload = rng.integers(0, POOL, size=n, dtype=np.int32)
        key = _uuid4_bytes(rng, n)
        return actor, event, payload, key

    def history(self) -> Deliveries:
        """The whole history (``scale.events`` accepted events plus duplicate deliveries), in arrival order."""
        rng = rng_for(self.seed, "history")
        joiners = np.nonzero((self.actor_join > self.start_us)
                             & np.array([len(f) > 0 for f in self.first_event])[self.actor_tier])[0]
        joiners = joiners[: self.scale.events // 10]  # never more than a tenth of the history
        n_rest = self.scale.events - len(joiners)
        actor, event, payload, key = self._draw(rng, n_rest)
        occurred = self._time_after(rng, self.actor_join[actor])
        j_actor = joiners.astype(np.int32)
        j_event = np.array([rng.choice(self.first_event[self.actor_tier[a]]) for a in j_actor], dtype=np.int32)
        actor = np.concatenate([j_actor, actor])
        event = np.concatenate([j_event, event])
        occurred = np.concatenate([self.actor_join[j_actor], occurred])
        payload = np.concatenate([rng.integers(0, POOL, size=len(j_actor), dtype=np.int32), payload])
        key = np.concatenate([_uuid4_bytes(rng, len(j_actor)), key])
        n = len(actor)
        late = rng.random(n) < LATE_SHARE
        delay = np.where(late, rng.uniform(HOUR_US, 6 * DAY_US, n), rng.exponential(2 * US, n)).astype(np.int64)
        received = np.minimum(occurred + delay, self.anchor_us - 60 * US)
        occurred = np.minimum(occurred, received)
        d = Deliveries(actor, event, occurred, received, key, payload, np.zeros(n, dtype=bool), late,
                       rng.random(n))
        return _sorted(_with_duplicates(d, rng))

    def fresh(self, n: int, purpose: str, end: datetime, spread: timedelta) -> Deliveries:
        """``n`` new accepted events that happened in the ``spread`` before ``end`` (1% late: up to 6 days
        earlier), plus 0.5% duplicate deliveries, in arrival order."""
        rng = rng_for(self.seed, "fresh/" + purpose)
        end_us = to_us(end)
        actor, event, payload, key = self._draw(rng, n)
        received = end_us - (rng.random(n) * spread.total_seconds() * US).astype(np.int64)
        late = rng.random(n) < LATE_SHARE
        occurred = received - np.where(late, rng.uniform(HOUR_US, 6 * DAY_US, n),
                                       rng.exponential(2 * US, n)).astype(np.int64)
        d = Deliveries(actor, event, occurred, received, key, payload, np.zeros(n, dtype=bool), late, rng.random(n))
        return _sorted(_with_duplicates(d, rng))

    def batches(self, n_batches: int, size: int, purpose: str, end: datetime, spread: timedelta) -> list[TrackBatch]:
        """``analytics.track_events`` calls of ``size`` items, each from one actor (its JWT claims), with
        1% late items and 0.5% items that repeat an earlier item of the batch (same key)."""
        rng = rng_for(self.seed, "batches/" + purpose)
        actors = rng.choice(self.n_actors, size=n_batches, p=self.actor_prob).astype(np.int32)
        out = []
        for a in actors:
            n_dup = int(rng.binomial(size, DUPLICATE_SHARE))
            n_new = size - n_dup
            actor, event, payload, key = self._draw(rng, n_new, np.full(n_new, a, dtype=np.int32))
            received = to_us(end) - (rng.random(n_new) * spread.total_seconds() * US).astype(np.int64)
            late = rng.random(n_new) < LATE_SHARE
            occurred = received - np.where(late, rng.uniform(HOUR_US, 6 * DAY_US, n_new),
                                           rng.exponential(2 * US, n_new)).astype(np.int64)
            order = list(range(n_new)) + sorted(rng.integers(0, n_new, size=n_dup).tolist())
            times = _iso(occurred)
            keys = [_uuid(k) for k in _key_bytes(key)]
            items = [
                f'{{"event_id":"{self.event_ids[event[i]]}","occurred_at":"{times[i]}","idempotency_key":"{keys[i]}",'
                f'"payload":{self.pools[event[i]][payload[i]]},"plan_version":"{self.plan_version}"}}'
                for i in order
            ]
            out.append(TrackBatch(int(a), self.claims(int(a)), "[" + ",".join(items) + "]", size, n_dup))
        return out

    # ------------------------------------------------------------------ callers and rows

    def claims(self, actor: int) -> dict[str, Any]:
        """Supabase-shaped JWT claims of an actor (as tests/dbutil.py's ``claims`` makes them)."""
        site = int(self.actor_site[actor])
        app: dict[str, Any] = {"site_id": self.site_ids[site], "tier": self.callers[self.actor_tier[actor]].name}
        if self.site_network[site] is not None:
            app["network_id"] = self.site_network[site]
        return {"sub": self.actor_sub[actor], "role": "authenticated", "aud": "authenticated", "app_metadata": app}

    def site_claims(self, site: int, tier: str | None = None) -> dict[str, Any]:
        """Claims of a reader at ``site`` (the first actor of that site, with ``tier`` if given)."""
        actor = int(np.nonzero(self.actor_site == site)[0][0])
        c = self.claims(actor)
        if tier is not None:
            c["app_metadata"]["tier"] = tier
        return c

    def set_secret(self, secret: bytes, plan_version: str) -> None:
        """The deployment's HMAC key (read from the database) and plan version, for COPY rows and wire items."""
        self.secret = secret
        self.plan_version = plan_version
        tiers = [t.name for t in self.callers]
        self._prefix = []
        for a in range(self.n_actors):
            site = int(self.actor_site[a])
            digest = hmac.new(secret, self.actor_sub[a].encode("utf-8"), hashlib.sha256).hexdigest()
            net = self.site_network[site] or "\\N"
            self._prefix.append(f"{self.site_ids[site]}\t{net}\t\\\\x{digest}\t{tiers[self.actor_tier[a]]}")

    def copy_events(self, d: Deliveries) -> bytes:
        """COPY text rows (``EVENT_COLUMNS``) of the accepted deliveries of ``d`` (duplicates dropped)."""
        keep = np.nonzero(~d.duplicate)[0]
        occ, rec = _iso(d.occurred[keep]), _iso(d.received[keep])
        pv = self.plan_version or "\\N"
        ids, prefix, pays = self.event_ids, self._prefix, self._copy_payloads
        lines = [
            f"{ids[e]}\t{prefix[a]}\t{o}\t{r}\t{_uuid(k)}\t{pv}\t{pays[e][p]}\n"
            for e, a, o, r, k, p in zip(d.event[keep].tolist(), d.actor[keep].tolist(), occ, rec,
                                        _key_bytes(d.key[keep]), d.payload[keep].tolist(), strict=True)
        ]
        return "".join(lines).encode("utf-8")

    def copy_keys(self, d: Deliveries, since: datetime | None = None) -> bytes:
        """COPY text rows (``KEY_COLUMNS``) of the idempotency keys of the accepted deliveries; with
        ``since``, only of events that happened after it (older keys are purged by a daily job)."""
        mask = ~d.duplicate
        if since is not None:
            mask &= d.occurred >= to_us(since)
        keep = np.nonzero(mask)[0]
        occ = _iso(d.occurred[keep])
        sites = [self.site_ids[s] for s in self.actor_site[d.actor[keep]].tolist()]
        return "".join(f"{s}\t{_uuid(k)}\t{o}\n" for s, k, o in zip(sites, _key_bytes(d.key[keep]), occ,
                                                                     strict=True)).encode("utf-8")

    def describe(self) -> dict[str, Any]:
        """The workload's shape, for the report."""
        share = np.sort(self.site_weight)[::-1]
        tiers = np.bincount(self.actor_tier, minlength=len(self.callers)) / self.n_actors
        return {
            "seed": self.seed,
            "anchor": self.anchor.isoformat(),
            "days": self.scale.days,
            "sites": self.scale.sites,
            "networks": len({n for n in self.site_network if n}),
            "sites_without_network": sum(1 for n in self.site_network if n is None),
            "largest_site_shares": [round(float(x), 3) for x in share[:5]],
            "actors": self.n_actors,
            "actor_tiers": {t.name: round(float(x), 3) for t, x in zip(self.callers, tiers, strict=True)},
            "events_in_taxonomy": len(self.events),
            "late_share": LATE_SHARE,
            "duplicate_share": DUPLICATE_SHARE,
            "payload_pool_per_event": POOL,
        }


# ---------------------------------------------------------------------- helpers


def _with_duplicates(d: Deliveries, rng: np.random.Generator) -> Deliveries:
    n = len(d)
    dup = np.nonzero(rng.random(n) < DUPLICATE_SHARE)[0]
    copy = d.take(dup)
    copy.duplicate = np.ones(len(dup), dtype=bool)
    copy.received = copy.received + rng.uniform(US, HOUR_US, len(dup)).astype(np.int64)
    return Deliveries.concat([d, copy])


def _sorted(d: Deliveries) -> Deliveries:
    return d.take(np.argsort(d.received, kind="stable"))


def _uuid4_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    return b


def _key_bytes(keys: np.ndarray) -> list[bytes]:
    raw = keys.tobytes()
    return [raw[i:i + 16] for i in range(0, len(raw), 16)]


def _uuid(b: bytes) -> str:
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _iso(us: np.ndarray) -> list[str]:
    """RFC 3339 text in UTC ('Z'), microsecond precision."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
    return [t + "Z" for t in text.tolist()]


def _payload(event: Event, rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prop in event.properties:
        if not prop.required and rng.random() >= 0.7:
            continue
        out[prop.name] = _value(prop.value, rng, event, prop.name)
    return out


def _value(v: ValueType, rng: random.Random, event: Event, name: str) -> Any:
    if v.type == "boolean":
        return rng.random() < 0.5
    if v.type in ("integer", "number"):
        return _number(v, rng)
    if v.type == "string":
        if v.enum:
            weights = [1.0 / (i + 1) for i in range(len(v.enum))]
            return rng.choices(list(v.enum), weights=weights)[0]
        if v.pattern:
            return regex.sample(v.pattern, rng)
        if v.format:
            return _formatted(v.format, rng)
        raise ValueError(f"event {event.id}: property {name}: the bench cannot make a string without "
                         "enum, pattern or format")
    if v.type == "array":
        assert v.items is not None
        lo = v.min_items or 0
        hi = v.max_items if v.max_items is not None else lo + 3
        n = rng.randint(lo, hi)
        if v.unique_items and v.items.enum:
            return rng.sample(list(v.items.enum), min(n, len(v.items.enum)))
        values: list[Any] = []
        while len(values) < n:
            x = _value(v.items, rng, event, name)
            if not (v.unique_items and x in values):
                values.append(x)
        return values
    raise ValueError(f"event {event.id}: property {name}: type {v.type!r} is not supported by the bench")


def _number(v: ValueType, rng: random.Random) -> int | float:
    lo = v.minimum if v.minimum is not None else (v.exclusive_minimum if v.exclusive_minimum is not None else 0)
    hi = v.maximum if v.maximum is not None else (v.exclusive_maximum if v.exclusive_maximum is not None else lo + 1000)
    if v.type == "integer":
        lo_i = int(lo) + (1 if v.minimum is None and v.exclusive_minimum is not None else 0)
        hi_i = int(hi) - (1 if v.maximum is None and v.exclusive_maximum is not None else 0)
        step = int(v.multiple_of or 1)
        if hi_i - lo_i > 1000:  # long ranges (durations, sizes): log-uniform, most values small
            x = lo_i + int(round(2 ** rng.uniform(0, np.log2(hi_i - lo_i + 1)))) - 1
        else:
            x = rng.randint(lo_i, hi_i)
        x = max(lo_i, min(hi_i, x - (x - lo_i) % step))
        return x
    x = rng.uniform(float(lo), float(hi))
    if v.multiple_of:
        x = round(x / v.multiple_of) * v.multiple_of
    x = round(x, 3)
    if v.exclusive_minimum is not None and x <= v.exclusive_minimum:
        x = v.exclusive_minimum + (hi - lo) / 2
    if v.exclusive_maximum is not None and x >= v.exclusive_maximum:
        x = lo + (hi - lo) / 2
    return min(max(x, float(lo)), float(hi))


def _formatted(fmt: str, rng: random.Random) -> str:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    if fmt == "date":
        return (base + timedelta(days=rng.randint(0, 364))).date().isoformat()
    if fmt == "date-time":
        return (base + timedelta(seconds=rng.randint(0, 365 * 86_400))).isoformat().replace("+00:00", "Z")
    if fmt == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if fmt == "duration":
        return f"PT{rng.randint(1, 240)}M"
    if fmt == "uuid":
        return _uuid(bytes(rng.getrandbits(8) for _ in range(16)))
    raise ValueError(f"format {fmt!r} is not supported by the bench")


def _check_against_schema(event: Event, pool: list[str], schema_dir: Path | None) -> None:
    """Fail fast when the bench would send a payload the event's JSON Schema refuses."""
    if schema_dir is None:
        return
    path = schema_dir / f"{event.id}.json"
    if not path.exists():
        return
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(json.loads(path.read_text(encoding="utf-8")), format_checker=FormatChecker())
    for text in pool[:32]:
        errors = sorted(validator.iter_errors(json.loads(text)), key=str)
        if errors:
            raise ValueError(f"bench payload for {event.id} is invalid: {errors[0].message} ({text})")

