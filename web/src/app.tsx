// The notes app: the signed-in person's pads and notes, with the pages' sorting, edited
// optimistically through the outbox, with keyboard shortcuts. Routes: /app/ (all notes),
// /app/pads/<id>/ (one pad), and ?note=<id> for the note open beside the list.

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import type { JSX } from "preact";

import { Api, ApiError, NetworkError } from "./api";
import type { Me, NoteFields, Order, Pad } from "./api";
import { Editor } from "./editor";
import { ORDERS, fromServer, isOrder, loadSnapshot, merged, saveSnapshot, sorted, when } from "./notes";
import type { LocalNote } from "./notes";
import { Outbox } from "./outbox";
import { Shortcuts, isTyping } from "./shortcuts";

type Load =
  | { kind: "loading" }
  | { kind: "signed-out" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; me: Me };

interface Route {
  pad: number | null;
  note: number | null;
  order: Order;
}

function readRoute(): Route {
  const match = /^\/app\/pads\/(-?\d+)\/?$/.exec(location.pathname);
  const query = new URLSearchParams(location.search);
  const note = Number(query.get("note"));
  const order = query.get("order");
  return {
    pad: match ? Number(match[1]) : null,
    note: Number.isInteger(note) && note !== 0 ? note : null,
    order: isOrder(order) ? order : "-updated_at",
  };
}

function routeUrl(route: Route): string {
  const path = route.pad === null ? "/app/" : `/app/pads/${route.pad}/`;
  const query = new URLSearchParams();
  if (route.order !== "-updated_at") query.set("order", route.order);
  if (route.note !== null) query.set("note", String(route.note));
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

export function App(props: { api?: Api }) {
  // One client for the page's life: it holds the session's CSRF token.
  const [api] = useState(() => props.api ?? new Api());
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  useEffect(() => {
    api
      .me()
      .then((me) => setLoad({ kind: "ready", me }))
      .catch((err) => {
        if (err instanceof ApiError && err.status === 401) setLoad({ kind: "signed-out" });
        else if (err instanceof NetworkError) setLoad({ kind: "failed", message: "The server can't be reached. Check your connection; the app retries when you reload." });
        else setLoad({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
      });
  }, [api]);

  if (load.kind === "loading") return <Frame><p class="status-line" role="status">Loading your notes…</p></Frame>;
  if (load.kind === "signed-out") return <SignedOut />;
  if (load.kind === "failed") {
    return (
      <Frame>
        <div class="card card-narrow" role="alert">
          <h1>Notes are unavailable</h1>
          <p>{load.message}</p>
          <button type="button" class="button" onClick={() => location.reload()}>Try again</button>
        </div>
      </Frame>
    );
  }
  return <Notes api={api} me={load.me} />;
}

function Frame({ email, sync, children }: { email?: string; sync?: JSX.Element; children: preact.ComponentChildren }) {
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <div class="wrap topbar-inner">
          <span class="brand-group">
            <a class="brand" href="/app/">
              <span class="brand-mark" aria-hidden="true">F</span> Folio <span class="brand-sub">notes app</span>
            </a>
            {sync}
          </span>
          {email && (
            <nav class="account" aria-label="Account">
              <span class="account-email">{email}</span>
              <a href="/">Classic pages</a>
              <a href="/settings/">Settings</a>
            </nav>
          )}
        </div>
      </header>
      <main class="wrap" id="main" tabIndex={-1}>{children}</main>
    </>
  );
}

function SignedOut() {
  const next = encodeURIComponent(location.pathname + location.search);
  return (
    <Frame>
      <div class="card card-narrow">
        <h1>Sign in to see your notes</h1>
        <p>The app uses your Folio account: sign in on the site, and you come back here.</p>
        <p><a class="button" href={`/signin/?next=${next}`}>Sign in</a></p>
        <p class="muted">No account yet? <a href="/signup/">Sign up</a>.</p>
      </div>
    </Frame>
  );
}

function Notes({ api, me }: { api: Api; me: Me }) {
  const storageKey = `folio.app.v1:${me.id}`;
  const [route, setRoute] = useState<Route>(readRoute);
  const [pads, setPads] = useState<Pad[]>([]);
  const [notes, setNotes] = useState<Map<number, LocalNote>>(new Map());
  const [listState, setListState] = useState<"loading" | "ready" | "offline">("loading");
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const rerender = useCallback(() => bump(0), []);

  const say = useCallback((text: string, error = false) => setMessage({ text, error }), []);

  const outbox = useMemo(
    () =>
      new Outbox(api, localStorage, `folio.outbox.v1:${me.id}`, {
        changed: rerender,
        saved: ({ localId, note, etag }) => {
          setNotes((current) => {
            const next = new Map(current);
            next.delete(localId);
            if (note) {
              const stillWaiting = outbox.pending(note.id);
              const local = current.get(localId);
              // A change still waiting keeps what the person typed on screen; only the version moves on.
              next.set(note.id, stillWaiting && local ? { ...local, id: note.id, etag: etag ?? undefined } : fromServer(note, etag));
            }
            return next;
          });
          if (note && localId !== note.id) {
            // The note made offline has its server id now: wherever the app names it.
            setRoute((r) => (r.note === localId ? { ...r, note: note.id } : r));
            setCursor((c) => (c === localId ? note.id : c));
          }
        },
        refused: (id, why) => {
          say(`A change to a note was refused: ${why}`, true);
          // What the server refused leaves the screen: a note that was never made goes, and
          // the list is read again for the others.
          if (id < 0) {
            setNotes((current) => {
              const next = new Map(current);
              next.delete(id);
              return next;
            });
          }
          void refreshRef.current();
        },
      }),
    // One outbox per signed-in person for the page's life.
    [api, me.id],
  );

  /** Reads pads and notes from the server, keeping what waits in the outbox on top. */
  const refreshRef = useRef(async () => {});
  const refresh = useCallback(async () => {
    try {
      const [padList, list] = await Promise.all([api.pads(), api.notes("-updated_at", null)]);
      setPads(padList);
      // From the state as it is when React applies this (a note read meanwhile keeps its text).
      setNotes((current) => merged(list, outbox.ops, current));
      setListState("ready");
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      const snapshot = loadSnapshot(localStorage, storageKey);
      if (snapshot) {
        setPads((current) => (current.length > 0 ? current : snapshot.pads));
        setNotes((current) =>
          current.size > 0 ? current : merged(snapshot.notes, outbox.ops, new Map(snapshot.notes.map((n) => [n.id, n]))),
        );
      }
      setListState("offline");
    }
  }, [api, outbox, storageKey]);
  refreshRef.current = refresh;

  useEffect(() => {
    // Changes left waiting by an earlier visit (kept in localStorage) go first.
    void outbox.flush();
    refresh().catch((err) => say(`Could not load your notes: ${err instanceof Error ? err.message : err}`, true));
    const online = () => {
      void outbox.flush();
      void refresh();
    };
    const visible = () => document.visibilityState === "visible" && online();
    window.addEventListener("online", online);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", online);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [outbox, refresh, say]);

  // The snapshot follows every change, so a reload offline shows what was last seen.
  useEffect(() => {
    if (listState !== "loading") saveSnapshot(localStorage, storageKey, { pads, notes: [...notes.values()] });
  }, [pads, notes, listState, storageKey]);

  // The address bar follows the route; the browser's back and forward buttons too.
  useEffect(() => {
    const url = routeUrl(route);
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
  }, [route]);
  useEffect(() => {
    const pop = () => setRoute(readRoute());
    window.addEventListener("popstate", pop);
    return () => window.removeEventListener("popstate", pop);
  }, []);

  const pad = route.pad === null ? null : (pads.find((p) => p.id === route.pad) ?? null);
  const shown = useMemo(
    () => sorted([...notes.values()].filter((n) => route.pad === null || n.pad_id === route.pad), route.order),
    [notes, route.pad, route.order],
  );
  const open = route.note === null ? null : (notes.get(route.note) ?? null);

  const go = (change: Partial<Route>) => setRoute((r) => ({ ...r, ...change }));

  const openNote = (id: number | null) => {
    go({ note: id });
    if (id !== null) setCursor(id);
  };

  const createNote = (fields: NoteFields) => {
    const id = outbox.create(fields);
    setNotes((current) => new Map(current).set(id, { id, ...fields, updated_at: new Date().toISOString() }));
    go({ note: id });
    setCursor(id);
    say(`Note “${fields.name}” created.`);
    return id;
  };

  const saveNote = (id: number, fields: NoteFields) => {
    const current = notes.get(id);
    if (!current) return;
    const changed: Partial<NoteFields> = {};
    if (fields.name !== current.name) changed.name = fields.name;
    if (fields.text !== current.text) changed.text = fields.text;
    if (fields.pad_id !== current.pad_id) changed.pad_id = fields.pad_id;
    if (Object.keys(changed).length === 0) return;
    outbox.update(id, changed, current.etag ?? null);
    setNotes((all) => new Map(all).set(id, { ...current, ...fields, updated_at: new Date().toISOString() }));
    say(`Note “${fields.name}” saved.`);
  };

  const deleteNote = (id: number) => {
    const current = notes.get(id);
    if (!current) return;
    outbox.delete(id, current.etag ?? null);
    setNotes((all) => {
      const next = new Map(all);
      next.delete(id);
      return next;
    });
    go({ note: null });
    say(`Note “${current.name}” deleted.`);
  };

  /** Reads a note's text and version when it is opened (unless a change of it is waiting). */
  useEffect(() => {
    if (open === null || open.id < 0 || outbox.pending(open.id) || outbox.conflict(open.id)) return;
    let stale = false;
    api
      .note(open.id)
      .then(({ value, etag }) => {
        if (!stale && !outbox.pending(value.id)) setNotes((all) => new Map(all).set(value.id, fromServer(value, etag)));
      })
      .catch((err) => {
        if (stale) return;
        if (err instanceof ApiError && err.status === 404) {
          setNotes((all) => {
            const next = new Map(all);
            next.delete(open.id);
            return next;
          });
          say("That note no longer exists.", true);
        } else if (err instanceof NetworkError && open.text === undefined) {
          say("This note's text is not available offline: it was never opened on this device.", true);
        }
      });
    return () => {
      stale = true;
    };
    // Read again only when another note is opened.
  }, [open?.id]);

  const padAction = async (action: () => Promise<void>, done: string) => {
    try {
      await action();
      say(done);
      await refresh();
    } catch (err) {
      if (err instanceof NetworkError) say("You are offline: pads can be changed once the connection is back.", true);
      else say(err instanceof ApiError ? err.message : String(err), true);
    }
  };

  // Keyboard: n new note, j/k move, o open, Escape close, ? help. One listener for the page's
  // life reading the current state from a ref (set on every render): a listener re-added by an
  // effect would lag behind renders, and fast key presses would see an old cursor.
  const live = useRef({ shown, cursor, route, helpOpen });
  live.current = { shown, cursor, route, helpOpen };
  const actions = useRef({ openNote, go });
  actions.current = { openNote, go };
  useEffect(() => {
    const keydown = (event: KeyboardEvent) => {
      const { shown, cursor, route, helpOpen } = live.current;
      const { openNote, go } = actions.current;
      if (event.key === "Escape") {
        if (helpOpen) setHelpOpen(false);
        else if (route.note !== null) {
          const closing = route.note;
          openNote(null);
          requestAnimationFrame(() => document.getElementById(`note-${closing}`)?.focus());
        }
        return;
      }
      if (isTyping(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const index = shown.findIndex((n) => n.id === cursor);
      const move = (to: number) => {
        const target = shown[Math.max(0, Math.min(shown.length - 1, to))];
        if (!target) return;
        live.current = { ...live.current, cursor: target.id };
        setCursor(target.id);
        document.getElementById(`note-${target.id}`)?.focus();
      };
      // A shortcut's key is not also typed: the field it focuses would otherwise receive it.
      if (["n", "j", "k", "o", "?"].includes(event.key)) event.preventDefault();
      switch (event.key) {
        case "n":
          go({ note: 0 });
          break;
        case "j":
          move(index + 1);
          break;
        case "k":
          move(index < 0 ? 0 : index - 1);
          break;
        case "o":
          if (cursor !== null) openNote(cursor);
          break;
        case "?":
          setHelpOpen(true);
          break;
      }
    };
    window.addEventListener("keydown", keydown);
    return () => window.removeEventListener("keydown", keydown);
  }, []);

  const sync = <SyncBadge state={listState === "offline" && outbox.state === "synced" ? "offline" : outbox.state} waiting={outbox.ops.length} />;
  const conflicts = outbox.conflicts.length;

  return (
    <Frame email={me.email} sync={sync}>
      {/* Every message is announced; only problems stay on screen (the badge shows saving). */}
      <p class="visually-hidden" role="status" aria-live="polite">{message?.text ?? ""}</p>
      {message?.error && (
        <div class="flash flash-error">
          {message.text}{" "}
          <button type="button" class="link-button" onClick={() => setMessage(null)} aria-label="Dismiss the message">×</button>
        </div>
      )}
      {conflicts > 0 && (
        <div class="flash flash-error" role="alert">
          {conflicts === 1 ? "One note was" : `${conflicts} notes were`} changed elsewhere while your change waited: open{" "}
          {outbox.conflicts.map((c, i) => (
            <span key={c.id}>{i > 0 && ", "}<a href={routeUrl({ ...route, note: c.id })} onClick={(e) => { e.preventDefault(); openNote(c.id); }}>{c.theirs.name}</a></span>
          ))}{" "}to choose which version to keep.
        </div>
      )}
      <div class="with-sidebar">
        <PadsSidebar
          pads={pads}
          current={route.pad}
          counts={countByPad(notes)}
          total={notes.size}
          onPick={(id) => go({ pad: id, note: null })}
          onCreate={(name) => padAction(async () => { const made = await api.createPad(name); go({ pad: made.id, note: null }); }, `Pad “${name}” created.`)}
        />
        <section class="content" aria-labelledby="list-heading">
          <div class="page-head">
            <h1 id="list-heading">
              {pad ? pad.name : "All notes"} <span class="count">({shown.length})</span>
            </h1>
            <div class="list-actions">
              <span class="sort">
                <label for="sort">Sort</label>
                <select id="sort" value={route.order} onChange={(e) => go({ order: (e.currentTarget.value as Order) })}>
                  {ORDERS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
                </select>
              </span>
              <button type="button" class="button" onClick={() => go({ note: 0 })} aria-keyshortcuts="n">
                New note
              </button>
            </div>
          </div>
          {pad && <PadTools pad={pad} onRename={(name) => padAction(async () => { await api.renamePad(pad.id, name); }, `Pad renamed to “${name}”.`)} onDelete={() => padAction(async () => { await api.deletePad(pad.id); go({ pad: null, note: null }); }, `Pad “${pad.name}” and its notes deleted.`)} />}
          {route.note !== null && (
            <Editor
              key={route.note}
              note={route.note === 0 ? null : open}
              missing={route.note !== 0 && open === null}
              pads={pads}
              defaultPad={route.pad}
              conflict={open ? outbox.conflict(open.id) : undefined}
              waiting={open ? outbox.pending(open.id) : false}
              onCreate={createNote}
              onSave={saveNote}
              onDelete={deleteNote}
              onResolve={(id, keep) => { outbox.resolve(id, keep); rerender(); }}
              onClose={() => openNote(null)}
            />
          )}
          <NoteList
            notes={shown}
            loading={listState === "loading"}
            pads={pads}
            open={route.note}
            cursor={cursor}
            pending={(id) => outbox.pending(id) || id < 0}
            conflicted={(id) => outbox.conflict(id) !== undefined}
            onOpen={openNote}
            href={(id) => routeUrl({ ...route, note: id })}
          />
        </section>
      </div>
      <p class="muted shortcuts-hint">
        <button type="button" class="link-button" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">Keyboard shortcuts</button>
      </p>
      {helpOpen && <Shortcuts onClose={() => setHelpOpen(false)} />}
    </Frame>
  );
}

function countByPad(notes: Map<number, LocalNote>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const note of notes.values()) {
    if (note.pad_id !== null) counts.set(note.pad_id, (counts.get(note.pad_id) ?? 0) + 1);
  }
  return counts;
}

function SyncBadge({ state, waiting }: { state: "synced" | "syncing" | "offline"; waiting: number }) {
  const text =
    state === "offline"
      ? `Offline${waiting ? `: ${waiting} change${waiting === 1 ? "" : "s"} waiting` : ""}`
      : state === "syncing"
        ? "Saving…"
        : "All changes saved";
  return <span class={`sync sync-${state}`} role="status">{text}</span>;
}

function PadsSidebar(props: {
  pads: Pad[];
  current: number | null;
  counts: Map<number, number>;
  total: number;
  onPick(id: number | null): void;
  onCreate(name: string): void;
}) {
  const [name, setName] = useState("");
  const link = (id: number | null, label: string, count: number) => (
    <li key={id ?? "all"}>
      <a
        href={id === null ? "/app/" : `/app/pads/${id}/`}
        class={props.current === id ? "active" : ""}
        aria-current={props.current === id ? "page" : undefined}
        onClick={(e) => { e.preventDefault(); props.onPick(id); }}
      >
        {label} <span class="muted">{count}</span>
      </a>
    </li>
  );
  return (
    <nav class="sidebar" aria-label="Pads">
      <h2>Pads</h2>
      <ul class="pad-list">
        {link(null, "All notes", props.total)}
        {props.pads.map((pad) => link(pad.id, pad.name, props.counts.get(pad.id) ?? 0))}
      </ul>
      <form
        class="new-pad-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) {
            props.onCreate(name.trim());
            setName("");
          }
        }}
      >
        <label for="new-pad">New pad</label>
        <input type="text" id="new-pad" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} placeholder="Name" />
        <button type="submit" class="button-small">Add</button>
      </form>
    </nav>
  );
}

function PadTools({ pad, onRename, onDelete }: { pad: Pad; onRename(name: string): void; onDelete(): void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(pad.name);
  const [confirming, setConfirming] = useState(false);
  if (editing) {
    return (
      <form class="pad-tools" onSubmit={(e) => { e.preventDefault(); if (name.trim()) { onRename(name.trim()); setEditing(false); } }}>
        <label for="pad-name">Pad name</label>
        <input type="text" id="pad-name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
        <button type="submit" class="button-small">Rename</button>
        <button type="button" class="button-small button-secondary" onClick={() => setEditing(false)}>Cancel</button>
      </form>
    );
  }
  if (confirming) {
    return (
      <div class="pad-tools" role="alertdialog" aria-labelledby="delete-pad-question">
        <span id="delete-pad-question">Delete the pad “{pad.name}” and every note in it?</span>
        <button type="button" class="button-small button-danger" onClick={onDelete} autoFocus>Delete pad and notes</button>
        <button type="button" class="button-small button-secondary" onClick={() => setConfirming(false)}>Keep it</button>
      </div>
    );
  }
  return (
    <div class="pad-tools">
      <button type="button" class="link-button" onClick={() => { setName(pad.name); setEditing(true); }}>Rename pad</button>
      <button type="button" class="link-button danger" onClick={() => setConfirming(true)}>Delete pad</button>
    </div>
  );
}

function NoteList(props: {
  notes: LocalNote[];
  loading: boolean;
  pads: Pad[];
  open: number | null;
  cursor: number | null;
  pending(id: number): boolean;
  conflicted(id: number): boolean;
  onOpen(id: number): void;
  href(id: number): string;
}) {
  if (props.loading) return <p class="status-line" role="status">Loading your notes…</p>;
  if (props.notes.length === 0) {
    return (
      <div class="empty">
        <p>No notes here yet.</p>
        <p class="muted">Press <kbd>n</kbd> or choose “New note” to write one.</p>
      </div>
    );
  }
  const padName = (id: number | null) => props.pads.find((p) => p.id === id)?.name;
  return (
    <ul class="note-list" aria-label="Notes">
      {props.notes.map((note) => (
        <li key={note.id} class={note.id === props.open ? "open" : ""}>
          <a
            id={`note-${note.id}`}
            href={props.href(note.id)}
            aria-current={note.id === props.open ? "true" : undefined}
            class={note.id === props.cursor ? "cursor" : ""}
            onClick={(e) => { e.preventDefault(); props.onOpen(note.id); }}
          >
            <span class="note-name">{note.name}</span>
            <span class="note-info">
              {padName(note.pad_id) && <span class="tag">{padName(note.pad_id)}</span>}
              {props.conflicted(note.id) ? <span class="tag tag-danger">conflict</span> : props.pending(note.id) && <span class="tag tag-pending">waiting to save</span>}
              <time dateTime={note.updated_at}>{when(note.updated_at)}</time>
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
