// What the app knows about the person's notes: the server's list with the changes still in the
// outbox laid over it, sorted as the pages sort, and a snapshot kept in localStorage so the app
// opens with its notes even when the server can't be reached.

import type { Note, NoteSummary, Order, Pad } from "./api";
import type { Op } from "./outbox";

/** A note as the list shows it; `text` once the note was opened. */
export interface LocalNote extends NoteSummary {
  text?: string;
  etag?: string;
}

export const ORDERS: { value: Order; label: string }[] = [
  { value: "-updated_at", label: "Recently changed" },
  { value: "updated_at", label: "Least recently changed" },
  { value: "name", label: "Name, A to Z" },
  { value: "-name", label: "Name, Z to A" },
];

export function isOrder(value: string | null): value is Order {
  return ORDERS.some((order) => order.value === value);
}

/** The notes in `order`, as the pages order them (ties by id, newest first). */
export function sorted(notes: LocalNote[], order: Order): LocalNote[] {
  const descending = order.startsWith("-");
  const key = order.replace("-", "") as "name" | "updated_at";
  const compare = (a: LocalNote, b: LocalNote): number => {
    const primary =
      key === "name"
        ? a.name.localeCompare(b.name, undefined, { sensitivity: "base" })
        : Date.parse(a.updated_at) - Date.parse(b.updated_at);
    return primary !== 0 ? primary : a.id - b.id;
  };
  return [...notes].sort((a, b) => (descending ? -compare(a, b) : compare(a, b)));
}

/**
 * The server's `list` with the outbox's waiting changes over it: notes made offline are
 * added, changed ones show the change, deleted ones are gone. `known` keeps the texts and
 * ETags the app already read.
 */
export function merged(list: NoteSummary[], ops: Op[], known: Map<number, LocalNote>): Map<number, LocalNote> {
  const notes = new Map<number, LocalNote>();
  for (const summary of list) {
    const had = known.get(summary.id);
    const unchanged = had && had.updated_at === summary.updated_at;
    notes.set(summary.id, unchanged ? { ...had, ...summary } : { ...summary });
  }
  const now = new Date().toISOString();
  for (const op of ops) {
    if (op.kind === "create") {
      notes.set(op.id, { id: op.id, ...op.fields, updated_at: known.get(op.id)?.updated_at ?? now });
    } else if (op.kind === "update") {
      const current = notes.get(op.id) ?? known.get(op.id);
      if (current) notes.set(op.id, { ...current, ...op.fields });
    } else {
      notes.delete(op.id);
    }
  }
  return notes;
}

/** A note's fields as the server answered them, with its ETag. */
export function fromServer(note: Note, etag: string | null): LocalNote {
  return {
    id: note.id,
    name: note.name,
    pad_id: note.pad_id,
    updated_at: note.updated_at,
    text: note.text,
    etag: etag ?? undefined,
  };
}

export interface Snapshot {
  pads: Pad[];
  notes: LocalNote[];
}

export function loadSnapshot(storage: Storage, key: string): Snapshot | null {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as Snapshot) : null;
  } catch {
    return null;
  }
}

export function saveSnapshot(storage: Storage, key: string, snapshot: Snapshot): void {
  try {
    storage.setItem(key, JSON.stringify(snapshot));
  } catch {
    // Full or refused: the app works without it, only not offline after a reload.
  }
}

/** "5 minutes ago", "yesterday", or the date. */
export function when(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return then.toISOString().slice(0, 10);
}
