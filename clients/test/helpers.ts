// Test doubles for the runtime tests: a manual clock, page-lifecycle targets and a Web Storage.
import type { Clock, SendResult } from '../../generated/frontend/src/lib/analytics/index.js';

/** Lets pending promise callbacks and I/O callbacks run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly ms: number;
  readonly callback: () => void;
}

/** A clock that only moves when told; records every delay it was asked for. */
export class ManualClock implements Clock {
  time = Date.parse('2026-03-02T10:00:00.000Z');
  private seq = 0;
  timers: Timer[] = [];
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: ++this.seq, at: this.time + ms, ms, callback };
    this.timers.push(timer);
    this.delays.push(ms);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Move time forward, firing each timer that falls due in order, letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = end;
    await settle();
  }

  /** The pending timers' delays (what the tracker is waiting for). */
  pending(): number[] {
    return this.timers.map((t) => t.ms);
  }
}

/** An EventTarget standing in for document/window. */
export class FakeTarget {
  visibilityState = 'visible';
  private listeners = new Map<string, Set<() => void>>();

  addEventListener(type: string, listener: () => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }

  removeEventListener(type: string, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  dispatch(type: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }

  count(type: string): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}

/** window.localStorage's behaviour, in memory; shared between "page loads" by passing the same instance. */
export class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

export const networkError: SendResult = { ok: false, status: 0, message: 'TypeError: fetch failed' };
export const serverError: SendResult = { ok: false, status: 503, message: 'unavailable' };

/** Deterministic UUIDs: 00000000-0000-4000-8000-<n>. */
export function sequentialUuid(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

/** A valid practitioner.protocol_logged payload (camelCase, as the typed API takes it). */
export const protocolLogged = {
  protocolId: '0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f',
  protocolCategory: 'post_surgical',
  loggingMode: 'live',
  stepsCompleted: 8,
  sessionMinutes: 45,
  visitMode: 'on_site',
} as const;

export const screenLoaded = { screen: 'protocol_editor', platform: 'web', loadMs: 1240, coldStart: false } as const;
