// The demo page's script (tools/demo.py bundles it with esbuild into one file; no CDN): sign in as
// a demo user, then the generated <trackgen-dashboard> reads the KPI views through supabase-js
// with that user's JWT. The status bar shows the simulator's counter and the lag between the
// newest event stored and the newest event the KPIs have counted.
import { createClient } from '@supabase/supabase-js';

import { defineDashboard, supabaseSource } from '../../generated/frontend/src/lib/analytics/dashboard/index.js';
import type { Freshness, Scope, SupabaseReadLike, TrackgenDashboard } from '../../generated/frontend/src/lib/analytics/dashboard/index.js';

interface DemoUser {
  id: string;
  label: string;
  scope: Scope;
  hint: string;
}

interface Status {
  tracked: number;
  rejected: number;
  rate: number;
  newest_stored: string | null;
  newest_counted: string | null;
  lag_s: number | null;
  refreshed: Record<string, string>;
  refresh_every_s: number | null;
}

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T;
let status: Status | null = null;

const freshness: Freshness = (kpi) => {
  const at = status?.refreshed[kpi];
  return at ? new Date(at) : null;
};

function time(iso: string | null): string {
  return iso ? `${iso.slice(11, 19)} UTC` : '–';
}

async function pollStatus(): Promise<void> {
  try {
    const answer = await fetch('/demo/status');
    status = (await answer.json()) as Status;
    $('#sent').textContent = status.tracked.toLocaleString('en-US');
    $('#rate').textContent = status.rate.toFixed(1);
    $('#newest-stored').textContent = time(status.newest_stored);
    // Through the real-time read path the figures count every event committed by the panels' as_of;
    // else the newest event the slowest refresh has folded in (the server reads the watermarks).
    const board = document.querySelector('trackgen-dashboard') as TrackgenDashboard | null;
    const asOf = board?.asOf() ?? null;
    let counted = status.newest_counted;
    let lag = status.lag_s;
    if (asOf && status.newest_stored) {
      const stored = new Date(status.newest_stored);
      counted = (asOf < stored ? asOf : stored).toISOString();
      lag = Math.max(0, (stored.getTime() - asOf.getTime()) / 1000);
    }
    $('#newest-counted').textContent = time(counted);
    $('#lag').textContent = lag === null ? '–' : `${lag.toFixed(1)} s`;
    $('#lag').dataset['seconds'] = String(lag ?? '');
    $('#lag').title = asOf ? 'real-time read path: rollups plus the events not yet refreshed'
      : 'refreshed rollups: the newest event the slowest KPI refresh has counted';
  } catch {
    $('#lag').textContent = 'demo server unreachable';
  }
}

async function signIn(user: DemoUser): Promise<void> {
  const answer = await fetch('/demo/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                 body: JSON.stringify({ user: user.id }) });
  const { token, anonKey } = (await answer.json()) as { token: string; anonKey: string };
  const supabase = createClient(location.origin, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
  const old = document.querySelector('trackgen-dashboard') as TrackgenDashboard | null;
  old?.remove();
  const board = document.createElement('trackgen-dashboard') as TrackgenDashboard;
  board.configure({ source: supabaseSource(supabase as unknown as SupabaseReadLike), scope: user.scope,
                    interval: 2000, freshness });
  $('#signed-in').textContent = `Signed in as ${user.label}: ${user.hint}`;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#users button'))) {
    b.setAttribute('aria-pressed', String(b.dataset['user'] === user.id));
  }
  document.body.dataset['user'] = user.id;
  $('main').append(board);
  location.hash = `as=${user.id}`;
}

async function main(): Promise<void> {
  defineDashboard();
  const users = (await (await fetch('/demo/users')).json()) as DemoUser[];
  const nav = $('#users');
  for (const user of users) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = user.label;
    button.dataset['user'] = user.id;
    button.addEventListener('click', () => void signIn(user));
    nav.append(button);
  }
  void pollStatus();
  setInterval(() => void pollStatus(), 1000);
  const wanted = new URLSearchParams(location.hash.slice(1)).get('as');
  const user = users.find((u) => u.id === wanted);
  if (user) await signIn(user);
}

void main();
