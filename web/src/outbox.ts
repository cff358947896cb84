// The outbox: note changes made while the connection comes and goes. A change is shown at once
// (optimistic) and queued; the queue is kept in localStorage, so it survives a reload, and is
// sent in order whenever the server can be reached, retrying with backoff. Each change of an
// existing note carries the ETag the change was made against (If-Match): if someone else
// changed the note first, the server answers 412 and the outbox keeps both versions as a
// conflict for the person to settle, instead of overwriting either.

import { ApiError, NetworkError } from "./api";
import type { Api, Note, NoteFields } from "./api";

/** A queued change. A note made offline has a negative id until the server gives it one. */
export type Op =
  | { kind: "create"; id: number; fields: NoteFields }
  | { kind: "update"; id: number; fields: Partial<NoteFields>; base: string | null }
  | { kind: "delete"; id: number; base: string | null };

/** Someone else changed a note that has changes of yours waiting. */
export interface Conflict {
  id: number;
  mine: Partial<NoteFields>;
  theirs: Note;
  theirsEtag: string;
  /** True when your change was a delete. */
  deleted: boolean;
}

export type SyncState = "synced" | "syncing" | "offline";

export interface Saved {
  /** The note's id before the server gave it one (negative), or its id. */
  localId: number;
  note: Note | null;
  etag: string | null;
}

export interface OutboxEvents {
  /** The queue or its state changed (re-render). */
  changed(): void;
  /** A change reached the server; `note` is its answer (null for a delete). */
  saved(saved: Saved): void;
  /** The server refused a change for good (not a conflict); the message says why. */
  refused(id: number, message: string): void;
}

interface Stored {
  ops: Op[];
  conflicts: Conflict[];
  nextLocalId: number;
}

const MAX_BACKOFF_MS = 30_000;

export class Outbox {
  ops: Op[] = [];
  conflicts: Conflict[] = [];
  state: SyncState = "synced";
  private nextLocalId = -1;
  /** The change being sent: it is never merged into or removed (its request is already out). */
  private inFlight: Op | null = null;
  private flushing: Promise<void> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;

  constructor(
    private readonly api: Api,
    private readonly storage: Storage,
    private readonly key: string,
    private readonly events: OutboxEvents,
  ) {
    this.load();
  }

  /** Queues a new note; returns its local (negative) id. */
  create(fields: NoteFields): number {
    const id = this.nextLocalId--;
    this.push({ kind: "create", id, fields });
    return id;
  }

  /** Queues a change of note `id`, read at version `base`. */
  update(id: number, fields: Partial<NoteFields>, base: string | null): void {
    const queuedCreate = this.ops.find((op) => op.kind === "create" && op.id === id && op !== this.inFlight);
    if (queuedCreate && queuedCreate.kind === "create") {
      // Not on the server yet: the create carries the change.
      queuedCreate.fields = { ...queuedCreate.fields, ...fields };
      this.save();
      return;
    }
    const last = this.ops[this.ops.length - 1];
    if (last && last !== this.inFlight && last.kind === "update" && last.id === id) {
      // Typing in bursts: one PATCH for consecutive changes of the same note.
      last.fields = { ...last.fields, ...fields };
      this.save();
      return;
    }
    this.push({ kind: "update", id, fields, base });
  }

  /** Queues the delete of note `id`, read at version `base`. */
  delete(id: number, base: string | null): void {
    const waiting = (op: Op) => op.id === id && op !== this.inFlight;
    const hadCreate = this.ops.some((op) => op.kind === "create" && waiting(op));
    this.ops = this.ops.filter((op) => !waiting(op));
    // A create already on its way gets its delete after it (with the id the server gives).
    if (!hadCreate) this.ops.push({ kind: "delete", id, base });
    this.save();
    this.kick();
  }

  /** Whether note `id` has changes waiting. */
  pending(id: number): boolean {
    return this.ops.some((op) => op.id === id);
  }

  conflict(id: number): Conflict | undefined {
    return this.conflicts.find((conflict) => conflict.id === id);
  }

  /**
   * Settles a conflict: `mine` sends your version over theirs (against their ETag, so a third
   * change in between is caught again); `theirs` drops your change.
   */
  resolve(id: number, keep: "mine" | "theirs"): void {
    const conflict = this.conflict(id);
    if (!conflict) return;
    this.conflicts = this.conflicts.filter((c) => c !== conflict);
    if (keep === "mine") {
      const op: Op = conflict.deleted
        ? { kind: "delete", id, base: conflict.theirsEtag }
        : { kind: "update", id, fields: conflict.mine, base: conflict.theirsEtag };
      this.ops.push(op);
    } else {
      this.events.saved({ localId: id, note: conflict.theirs, etag: conflict.theirsEtag });
    }
    this.save();
    this.kick();
  }

  /**
   * Sends what is queued, now (also after a failure: the browser says it is online again). A
   * send already under way finishes first; the queue is then sent again from where it stands.
   */
  async flush(): Promise<void> {
    if (this.retry) {
      clearTimeout(this.retry);
      this.retry = null;
    }
    while (this.flushing) await this.flushing;
    if (this.ops.length === 0) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private push(op: Op): void {
    this.ops.push(op);
    this.save();
    this.kick();
  }

  private kick(): void {
    this.events.changed();
    void this.flush();
  }

  private async drain(): Promise<void> {
    while (this.ops.length > 0) {
      this.setState("syncing");
      const op = this.ops[0];
      this.foldFollowing(op);
      this.inFlight = op;
      try {
        await this.send(op);
        this.failures = 0;
      } catch (err) {
        if (err instanceof NetworkError) {
          this.scheduleRetry();
          return;
        }
        this.settleRefusal(op, err);
      } finally {
        this.inFlight = null;
      }
      this.save();
    }
    this.setState("synced");
  }

  private async send(op: Op): Promise<void> {
    switch (op.kind) {
      case "create": {
        const { value, etag } = await this.api.createNote(op.fields);
        this.remove(op);
        // Later changes of this note name it by its new id.
        for (const later of this.ops) {
          if (later.id === op.id) later.id = value.id;
          if (later.kind !== "create" && later.id === value.id && later.base === null) later.base = etag;
        }
        this.events.saved({ localId: op.id, note: value, etag });
        return;
      }
      case "update": {
        const { value, etag } = await this.api.updateNote(op.id, op.fields, op.base);
        this.remove(op);
        for (const later of this.ops) {
          if (later.kind !== "create" && later.id === op.id) later.base = etag;
        }
        this.events.saved({ localId: op.id, note: value, etag });
        return;
      }
      case "delete": {
        try {
          await this.api.deleteNote(op.id, op.base);
        } catch (err) {
          // Already gone: what the delete wanted.
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
        this.remove(op);
        this.events.saved({ localId: op.id, note: null, etag: null });
        return;
      }
    }
  }

  /** A change the server answered with an error: a conflict to settle, or a refusal. */
  private settleRefusal(op: Op, err: unknown): void {
    this.remove(op);
    if (err instanceof ApiError && err.status === 412 && op.kind !== "create") {
      // Held until the conflict is fetched and settled; later changes of the note wait too.
      const later = this.ops.filter((o) => o.id === op.id);
      this.ops = this.ops.filter((o) => o.id !== op.id);
      void this.recordConflict(op, later);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.events.refused(op.id, message);
  }

  private async recordConflict(op: Exclude<Op, { kind: "create" }>, later: Op[]): Promise<void> {
    let mine: Partial<NoteFields> = op.kind === "update" ? { ...op.fields } : {};
    for (const o of later) if (o.kind === "update") mine = { ...mine, ...o.fields };
    const deleted = op.kind === "delete" || later.some((o) => o.kind === "delete");
    try {
      const { value, etag } = await this.api.note(op.id);
      this.conflicts.push({ id: op.id, mine, theirs: value, theirsEtag: etag, deleted });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        // They deleted it: nothing to keep of theirs.
        this.events.refused(op.id, "Someone deleted this note while your change was waiting.");
      } else {
        // Could not read theirs (offline again): put the change back to try later.
        this.ops.unshift(op, ...later);
        this.scheduleRetry();
      }
    }
    this.save();
    this.events.changed();
  }

  /**
   * Folds the changes of the same note queued right after `op` into it, just before it is sent:
   * edits made while an earlier attempt was on its way go out as one request.
   */
  private foldFollowing(op: Op): void {
    if (op.kind === "delete") return;
    while (this.ops.length > 1) {
      const next = this.ops[1];
      if (next.kind !== "update" || next.id !== op.id) return;
      op.fields = { ...op.fields, ...next.fields };
      this.ops.splice(1, 1);
    }
  }

  /** Takes `op` off the queue, wherever it stands now. */
  private remove(op: Op): void {
    this.ops = this.ops.filter((o) => o !== op);
  }

  private scheduleRetry(): void {
    this.failures += 1;
    this.setState("offline");
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures - 1, 5));
    this.retry = setTimeout(() => void this.flush(), delay);
  }

  private setState(state: SyncState): void {
    if (this.state !== state) {
      this.state = state;
      this.events.changed();
    }
  }

  private load(): void {
    try {
      const raw = this.storage.getItem(this.key);
      if (!raw) return;
      const stored = JSON.parse(raw) as Stored;
      this.ops = stored.ops ?? [];
      this.conflicts = stored.conflicts ?? [];
      this.nextLocalId = Math.min(stored.nextLocalId ?? -1, -1);
    } catch {
      // A damaged entry: start empty rather than not at all.
      this.ops = [];
    }
  }

  private save(): void {
    const stored: Stored = { ops: this.ops, conflicts: this.conflicts, nextLocalId: this.nextLocalId };
    try {
      this.storage.setItem(this.key, JSON.stringify(stored));
    } catch {
      // Storage full or refused (private mode): the queue still works until the tab closes.
    }
  }
}
