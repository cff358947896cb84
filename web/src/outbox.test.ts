import { describe, expect, it, vi } from "vitest";

import { Api, NetworkError, nextLink } from "./api";
import type { Note } from "./api";
import { Outbox } from "./outbox";
import type { Saved } from "./outbox";

/** An in-memory server with the API's versioning rules, and a switch to go offline. */
class FakeServer {
  notes = new Map<number, Note>();
  versions = new Map<number, number>();
  offline = false;
  /** While set, requests wait for it: a change can be made while another is on its way. */
  gate: Promise<void> | null = null;
  requests: string[] = [];
  private nextId = 1;

  etag(id: number): string {
    return `"v${id}-${this.versions.get(id)}"`;
  }

  put(note: Omit<Note, "updated_at" | "pad_name">): void {
    this.notes.set(note.id, { ...note, pad_name: null, updated_at: new Date().toISOString() });
    this.versions.set(note.id, (this.versions.get(note.id) ?? 0) + 1);
    this.nextId = Math.max(this.nextId, note.id + 1);
  }

  fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET";
    if (this.offline) throw new TypeError("Failed to fetch");
    if (this.gate) await this.gate;
    // Only the requests that reached the server.
    this.requests.push(`${method} ${url}`);
    const ifMatch = new Headers(init?.headers).get("if-match");
    const match = /\/api\/v1\/notes(?:\/(\d+))?/.exec(url);
    const id = match?.[1] ? Number(match[1]) : null;
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    if (method === "POST") {
      const created = this.nextId;
      this.put({ id: created, pad_id: null, ...body });
      return this.json(201, this.notes.get(created), this.etag(created));
    }
    if (id === null || !this.notes.has(id)) return this.problem(404);
    if (ifMatch && ifMatch !== this.etag(id)) return this.problem(412);
    if (method === "PATCH") {
      this.put({ ...this.notes.get(id)!, ...body });
      return this.json(200, this.notes.get(id), this.etag(id));
    }
    if (method === "DELETE") {
      this.notes.delete(id);
      return new Response(null, { status: 204 });
    }
    return this.json(200, this.notes.get(id), this.etag(id));
  };

  private json(status: number, value: unknown, etag: string): Response {
    return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", etag } });
  }

  private problem(status: number): Response {
    const problem = { title: "x", status, detail: `problem ${status}` };
    return new Response(JSON.stringify(problem), { status, headers: { "content-type": "application/problem+json" } });
  }
}

function outbox(server: FakeServer, storage: Storage = new MemoryStorage()) {
  const saved: Saved[] = [];
  const refused: string[] = [];
  const box = new Outbox(new Api(server.fetch), storage, "test", {
    changed: () => {},
    saved: (s) => saved.push(s),
    refused: (_id, message) => refused.push(message),
  });
  return { box, saved, refused, storage };
}

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe("the outbox", () => {
  it("creates a note and reports its server id", async () => {
    const server = new FakeServer();
    const { box, saved } = outbox(server);
    const local = box.create({ name: "Groceries", text: "milk", pad_id: null });
    expect(local).toBeLessThan(0);
    await box.flush();
    expect(saved[0].localId).toBe(local);
    expect(saved[0].note?.id).toBe(1);
    expect(server.notes.get(1)?.text).toBe("milk");
    expect(box.state).toBe("synced");
  });

  it("folds edits of a note made offline into its create", async () => {
    const server = new FakeServer();
    server.offline = true;
    const { box } = outbox(server);
    const local = box.create({ name: "Draft", text: "a", pad_id: null });
    box.update(local, { text: "ab" }, null);
    await box.flush();
    expect(box.state).toBe("offline");
    expect(box.ops).toHaveLength(1);
    server.offline = false;
    await box.flush();
    expect(server.notes.get(1)?.text).toBe("ab");
    expect(server.requests.filter((r) => r.startsWith("POST"))).toHaveLength(1);
  });

  it("keeps its queue across a reload while offline, and sends it when back", async () => {
    const server = new FakeServer();
    server.put({ id: 7, name: "Plan", text: "v1", pad_id: null });
    server.offline = true;
    const storage = new MemoryStorage();
    const first = outbox(server, storage);
    first.box.update(7, { text: "v2" }, server.etag(7));
    await first.box.flush();
    expect(first.box.state).toBe("offline");

    const reloaded = outbox(server, storage);
    expect(reloaded.box.ops).toHaveLength(1);
    server.offline = false;
    await reloaded.box.flush();
    expect(server.notes.get(7)?.text).toBe("v2");
    expect(reloaded.box.ops).toHaveLength(0);
  });

  it("merges a burst of edits into one PATCH", async () => {
    const server = new FakeServer();
    server.put({ id: 3, name: "N", text: "", pad_id: null });
    server.offline = true;
    const { box } = outbox(server);
    for (const text of ["h", "he", "hel", "hello"]) box.update(3, { text }, server.etag(3));
    server.offline = false;
    await box.flush();
    expect(server.requests.filter((r) => r.startsWith("PATCH"))).toHaveLength(1);
    expect(server.notes.get(3)?.text).toBe("hello");
  });

  it("turns a 412 into a conflict with both versions, and settles it either way", async () => {
    const server = new FakeServer();
    server.put({ id: 5, name: "Shared", text: "base", pad_id: null });
    const base = server.etag(5);
    server.put({ id: 5, name: "Shared", text: "theirs", pad_id: null });
    const { box, saved } = outbox(server);
    box.update(5, { text: "mine" }, base);
    await box.flush();
    await vi.waitFor(() => expect(box.conflicts).toHaveLength(1));
    const conflict = box.conflict(5)!;
    expect(conflict.mine.text).toBe("mine");
    expect(conflict.theirs.text).toBe("theirs");
    expect(server.notes.get(5)?.text).toBe("theirs");

    box.resolve(5, "mine");
    await box.flush();
    expect(server.notes.get(5)?.text).toBe("mine");
    expect(box.conflicts).toHaveLength(0);

    // A second conflict, settled for theirs: nothing is sent, and the app gets their version.
    const stale = server.etag(5);
    server.put({ id: 5, name: "Shared", text: "theirs again", pad_id: null });
    box.update(5, { text: "mine again" }, stale);
    await box.flush();
    await vi.waitFor(() => expect(box.conflicts).toHaveLength(1));
    const patches = server.requests.filter((r) => r.startsWith("PATCH")).length;
    box.resolve(5, "theirs");
    await box.flush();
    expect(server.requests.filter((r) => r.startsWith("PATCH")).length).toBe(patches);
    expect(server.notes.get(5)?.text).toBe("theirs again");
    expect(saved[saved.length - 1].note?.text).toBe("theirs again");
  });

  it("deletes, and a note deleted before it reached the server is never sent", async () => {
    const server = new FakeServer();
    server.put({ id: 9, name: "Old", text: "x", pad_id: null });
    const { box } = outbox(server);
    box.delete(9, server.etag(9));
    const local = box.create({ name: "Oops", text: "y", pad_id: null });
    box.delete(local, null);
    await box.flush();
    expect(server.notes.has(9)).toBe(false);
    expect(server.requests.filter((r) => r.startsWith("POST"))).toHaveLength(0);
  });

  it("never folds a change into one already on its way", async () => {
    const server = new FakeServer();
    server.put({ id: 4, name: "N", text: "one", pad_id: null });
    let open = () => {};
    server.gate = new Promise((resolve) => (open = resolve));
    const { box } = outbox(server);
    box.update(4, { text: "two" }, server.etag(4));
    const sending = box.flush();
    // The first PATCH is out; this edit must go in a second one, not into the first.
    box.update(4, { text: "three" }, server.etag(4));
    const local = box.create({ name: "Made", text: "x", pad_id: null });
    box.delete(local, null);
    server.gate = null;
    open();
    await sending;
    await box.flush();
    expect(server.notes.get(4)?.text).toBe("three");
    expect(server.requests.filter((r) => r.startsWith("PATCH"))).toHaveLength(2);
    expect(box.ops).toHaveLength(0);
  });

  it("reports a refusal (422) and moves on", async () => {
    const server = new FakeServer();
    const { box, refused } = outbox(server);
    box.update(404, { text: "x" }, null);
    box.create({ name: "Next", text: "ok", pad_id: null });
    await box.flush();
    expect(refused).toEqual(["problem 404"]);
    expect(server.notes.size).toBe(1);
  });
});

describe("requests", () => {
  it("give up after the time limit, so a hung connection is retried like a lost one", async () => {
    const hangs = (_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    // Without the limit this never settles (and the test times out).
    await expect(new Api(hangs, 50).note(1)).rejects.toBeInstanceOf(NetworkError);
  });
});

describe("Link headers", () => {
  it("find the next page", () => {
    const header = '</api/v1/notes?page=1>; rel="first", </api/v1/notes?page=2>; rel="next", </api/v1/notes?page=3>; rel="last"';
    expect(nextLink(header)).toBe("/api/v1/notes?page=2");
    expect(nextLink('</x>; rel="last"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
