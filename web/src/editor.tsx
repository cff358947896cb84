// One note, open beside the list: a new one, or an existing one with its waiting change or its
// conflict (both versions side by side, and the choice of which to keep).

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

import type { NoteFields, Pad } from "./api";
import type { LocalNote } from "./notes";
import type { Conflict } from "./outbox";

/** The note form's rules, as the server has them (it checks again). */
export function problems(fields: NoteFields): Partial<Record<"name" | "text", string>> {
  const found: Partial<Record<"name" | "text", string>> = {};
  const name = fields.name.trim();
  if (!name) found.name = "Give the note a name.";
  else if ([...name].length > 100) found.name = "A name has at most 100 characters.";
  else if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) found.name = "A name can't contain control characters or line breaks.";
  if (!fields.text.trim()) found.text = "Write something in the note.";
  else if (fields.text.includes("\u0000")) found.text = "Notes can't contain the NUL character.";
  return found;
}

interface Props {
  note: LocalNote | null;
  /** The route names a note this device does not have. */
  missing: boolean;
  pads: Pad[];
  defaultPad: number | null;
  conflict?: Conflict;
  waiting: boolean;
  onCreate(fields: NoteFields): number;
  onSave(id: number, fields: NoteFields): void;
  onDelete(id: number): void;
  onResolve(id: number, keep: "mine" | "theirs"): void;
  onClose(): void;
}

export function Editor(props: Props) {
  const { note } = props;
  const [name, setName] = useState(note?.name ?? "");
  const [text, setText] = useState(note?.text ?? "");
  const [pad, setPad] = useState<number | null>(note ? note.pad_id : props.defaultPad);
  const [shown, setShown] = useState<Partial<Record<"name" | "text", string>>>({});
  const [confirmDelete, setConfirmDelete] = useState(false);
  const nameField = useRef<HTMLInputElement>(null);
  const loaded = note?.text !== undefined;

  // The text arrives after the note opens (it is read then): fill it in unless typing began.
  // A ref, not state: this effect runs after paint, and typing may come first; the value it
  // sees must be the one typing set, not the one of the render that scheduled it.
  const touched = useRef(false);
  const touch = () => {
    touched.current = true;
  };
  useEffect(() => {
    if (note && !touched.current) {
      setName(note.name);
      setText(note.text ?? "");
      setPad(note.pad_id);
    }
  }, [note?.name, note?.text, note?.pad_id]);

  // Focus moves with the render, before the next key press or click can land elsewhere.
  useLayoutEffect(() => nameField.current?.focus(), []);

  if (props.missing) {
    return (
      <section class="editor card-inset" aria-label="Note">
        <p>This note is not here: it may have been deleted.</p>
        <button type="button" class="button-secondary" onClick={props.onClose}>Close</button>
      </section>
    );
  }

  if (note && props.conflict) return <ConflictView note={note} conflict={props.conflict} onResolve={props.onResolve} />;

  const fields = (): NoteFields => ({ name: name.trim(), text, pad_id: pad });
  const submit = (event?: Event) => {
    event?.preventDefault();
    const found = problems(fields());
    setShown(found);
    if (found.name) {
      nameField.current?.focus();
      return;
    }
    if (found.text) {
      document.getElementById("note-text")?.focus();
      return;
    }
    if (note) {
      props.onSave(note.id, fields());
      touched.current = false;
    } else {
      props.onCreate(fields());
    }
  };
  const keydown = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "Enter")) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <section class="editor card-inset" aria-labelledby="editor-heading" onKeyDown={keydown}>
      <h2 id="editor-heading">{note ? "Edit note" : "New note"}</h2>
      {props.waiting && <p class="muted" role="status">Your last change is waiting to be saved; it is sent as soon as the server can be reached.</p>}
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="note-name">Name</label>
          <input
            type="text"
            id="note-name"
            ref={nameField}
            value={name}
            maxLength={100}
            aria-invalid={shown.name ? "true" : undefined}
            aria-describedby={shown.name ? "note-name-error" : undefined}
            onInput={(e) => { setName(e.currentTarget.value); touch(); }}
          />
          {shown.name && <p class="field-error" id="note-name-error">{shown.name}</p>}
        </div>
        <div class="field">
          <label for="note-pad">Pad</label>
          <select id="note-pad" value={pad === null ? "" : String(pad)} onChange={(e) => { setPad(e.currentTarget.value ? Number(e.currentTarget.value) : null); touch(); }}>
            <option value="">No pad</option>
            {props.pads.map((p) => <option key={p.id} value={String(p.id)}>{p.name}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="note-text">Text</label>
          <textarea
            id="note-text"
            rows={10}
            value={text}
            disabled={note !== null && !loaded}
            placeholder={note !== null && !loaded ? "Loading the text…" : undefined}
            aria-invalid={shown.text ? "true" : undefined}
            aria-describedby={shown.text ? "note-text-error" : undefined}
            onInput={(e) => { setText(e.currentTarget.value); touch(); }}
          />
          {shown.text && <p class="field-error" id="note-text-error">{shown.text}</p>}
        </div>
        <div class="form-actions">
          <button type="submit" class="button" aria-keyshortcuts="Control+S">{note ? "Save" : "Create note"}</button>
          <button type="button" class="button-secondary" onClick={props.onClose} aria-keyshortcuts="Escape">Close</button>
          {note && !confirmDelete && (
            <button type="button" class="link-button danger" onClick={() => setConfirmDelete(true)}>Delete</button>
          )}
          {note && confirmDelete && (
            <span class="confirm" role="alertdialog" aria-label="Confirm the delete">
              Delete “{note.name}”?{" "}
              <button type="button" class="button-small button-danger" onClick={() => props.onDelete(note.id)} autoFocus>Delete note</button>{" "}
              <button type="button" class="button-small button-secondary" onClick={() => setConfirmDelete(false)}>Keep it</button>
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

function ConflictView({ note, conflict, onResolve }: { note: LocalNote; conflict: Conflict; onResolve(id: number, keep: "mine" | "theirs"): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => heading.current?.focus(), []);
  const mineName = conflict.mine.name ?? note.name;
  const mineText = conflict.mine.text ?? note.text ?? "";
  return (
    <section class="editor card-inset conflict" aria-labelledby="conflict-heading">
      <h2 id="conflict-heading" ref={heading} tabIndex={-1}>This note changed elsewhere</h2>
      <p>
        {conflict.deleted
          ? "You deleted this note, but it was changed elsewhere before your delete reached the server."
          : "Someone (or you, on another device) changed this note while your change was waiting. Nothing was overwritten: choose the version to keep."}
      </p>
      <div class="versions">
        <article class="version" aria-labelledby="mine-heading">
          <h3 id="mine-heading">Your version</h3>
          {conflict.deleted ? <p class="muted">Deleted.</p> : <><p class="version-name">{mineName}</p><pre class="version-text">{mineText}</pre></>}
          <button type="button" class="button" onClick={() => onResolve(note.id, "mine")}>
            {conflict.deleted ? "Delete it anyway" : "Keep mine"}
          </button>
        </article>
        <article class="version" aria-labelledby="theirs-heading">
          <h3 id="theirs-heading">Their version <span class="muted">({new Date(conflict.theirs.updated_at).toLocaleString()})</span></h3>
          <p class="version-name">{conflict.theirs.name}</p>
          <pre class="version-text">{conflict.theirs.text}</pre>
          <button type="button" class="button-secondary" onClick={() => onResolve(note.id, "theirs")}>Keep theirs</button>
        </article>
      </div>
    </section>
  );
}
