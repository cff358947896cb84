import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Api } from "./api";
import { App } from "./app";
import { Editor, problems } from "./editor";
import { merged, sorted, when } from "./notes";
import type { LocalNote } from "./notes";

/** An API whose answers are canned per "METHOD path". */
function api(answers: Record<string, { status: number; body?: unknown; etag?: string }>): Api {
  return new Api(async (url, init) => {
    const key = `${init?.method ?? "GET"} ${url.replace(/\?.*/, "")}`;
    const answer = answers[key];
    if (!answer) return new Response(JSON.stringify({ title: "Not Found", status: 404, detail: key }), { status: 404 });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (answer.etag) headers.etag = answer.etag;
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers });
  });
}

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
  localStorage.clear();
  history.replaceState(null, "", "/app/");
});
afterEach(() => {
  render(null, root);
  root.remove();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

describe("the app", () => {
  it("asks a signed-out visitor to sign in, and comes back after", async () => {
    render(<App api={api({ "GET /api/v1/me": { status: 401, body: { title: "Unauthorized", status: 401, detail: "x" } } })} />, root);
    await settle();
    const link = root.querySelector<HTMLAnchorElement>("a.button");
    expect(root.textContent).toContain("Sign in to see your notes");
    expect(link?.getAttribute("href")).toBe("/signin/?next=%2Fapp%2F");
  });

  it("lists the notes, newest first, with the empty state when there are none", async () => {
    const me = { id: 1, email: "ada@example.org", csrf_token: "t" };
    const notes = [
      { id: 1, name: "Older", pad_id: null, updated_at: "2026-01-01T00:00:00Z" },
      { id: 2, name: "Newer", pad_id: 7, updated_at: "2026-02-01T00:00:00Z" },
    ];
    render(
      <App
        api={api({
          "GET /api/v1/me": { status: 200, body: me },
          "GET /api/v1/pads": { status: 200, body: { data: [{ id: 7, name: "Work" }] } },
          "GET /api/v1/notes": { status: 200, body: { data: notes } },
        })}
      />,
      root,
    );
    await settle();
    const names = [...root.querySelectorAll(".note-name")].map((el) => el.textContent);
    expect(names).toEqual(["Newer", "Older"]);
    expect(root.querySelector(".tag")?.textContent).toBe("Work");
    expect(root.querySelector(".sync")?.textContent).toBe("All changes saved");
    expect(root.querySelector("label[for='new-pad']")).not.toBeNull();
  });

  it("takes a refused new note off the list and says why", async () => {
    const me = { id: 2, email: "b@example.org", csrf_token: "t" };
    const refusal = { title: "Invalid fields", status: 422, detail: "Some fields were refused; nothing was changed." };
    render(
      <App
        api={api({
          "GET /api/v1/me": { status: 200, body: me },
          "GET /api/v1/pads": { status: 200, body: { data: [] } },
          "GET /api/v1/notes": { status: 200, body: { data: [] } },
          "POST /api/v1/notes": { status: 422, body: refusal },
        })}
      />,
      root,
    );
    await settle();
    const button = (label: string) => [...root.querySelectorAll("button")].find((b) => b.textContent === label);
    await act(() => button("New note")?.click());
    const type = (selector: string, value: string) => {
      const field = root.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector)!;
      field.value = value;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    };
    await act(() => {
      type("#note-name", "Doomed");
      type("#note-text", "text");
    });
    await act(() => button("Create note")?.click());
    await settle();
    expect([...root.querySelectorAll(".note-name")].map((el) => el.textContent)).toEqual([]);
    expect(root.querySelector(".flash-error")?.textContent).toContain("refused: Some fields were refused");
  });

  it("says so when the server can't be reached at all", async () => {
    render(<App api={new Api(async () => { throw new TypeError("offline"); })} />, root);
    await settle();
    expect(root.querySelector("[role=alert]")?.textContent).toContain("can't be reached");
  });
});

describe("the editor", () => {
  const note: LocalNote = { id: 3, name: "Plan", text: "mine", pad_id: null, updated_at: "2026-01-01T00:00:00Z" };
  const noop = () => {};

  it("shows both versions of a conflict, labelled, and keeps the choice", () => {
    const onResolve = vi.fn();
    const conflict = {
      id: 3,
      mine: { text: "my text" },
      theirs: { ...note, text: "their text", pad_name: null },
      theirsEtag: '"v2"',
      deleted: false,
    };
    render(
      <Editor note={note} missing={false} pads={[]} defaultPad={null} conflict={conflict} waiting={false}
        onCreate={() => 0} onSave={noop} onDelete={noop} onResolve={onResolve} onClose={noop} />,
      root,
    );
    const texts = [...root.querySelectorAll(".version-text")].map((el) => el.textContent);
    expect(texts).toEqual(["my text", "their text"]);
    [...root.querySelectorAll("button")].find((b) => b.textContent === "Keep theirs")?.click();
    expect(onResolve).toHaveBeenCalledWith(3, "theirs");
  });

  it("refuses an empty name or text before anything is sent, and points at the field", async () => {
    const onCreate = vi.fn(() => -1);
    render(
      <Editor note={null} missing={false} pads={[]} defaultPad={null} waiting={false}
        onCreate={onCreate} onSave={noop} onDelete={noop} onResolve={noop} onClose={noop} />,
      root,
    );
    await act(() => {
      root.querySelector<HTMLFormElement>("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    });
    expect(onCreate).not.toHaveBeenCalled();
    expect(root.querySelector("#note-name-error")?.textContent).toBe("Give the note a name.");
    expect(root.querySelector("#note-name")?.getAttribute("aria-invalid")).toBe("true");
  });

  it("states the server's rules", () => {
    expect(problems({ name: " x ", text: "y", pad_id: null })).toEqual({});
    expect(problems({ name: "a\nb", text: "y", pad_id: null }).name).toBeDefined();
    expect(problems({ name: "x".repeat(101), text: "y", pad_id: null }).name).toBeDefined();
    expect(problems({ name: "x", text: "  ", pad_id: null }).text).toBeDefined();
    expect(problems({ name: "x", text: "a\u0000", pad_id: null }).text).toBeDefined();
  });
});

describe("the list's rules", () => {
  const a: LocalNote = { id: 1, name: "b", pad_id: null, updated_at: "2026-01-02T00:00:00Z" };
  const b: LocalNote = { id: 2, name: "A", pad_id: null, updated_at: "2026-01-01T00:00:00Z" };

  it("sorts as the pages do", () => {
    expect(sorted([a, b], "name").map((n) => n.id)).toEqual([2, 1]);
    expect(sorted([a, b], "-name").map((n) => n.id)).toEqual([1, 2]);
    expect(sorted([a, b], "updated_at").map((n) => n.id)).toEqual([2, 1]);
    expect(sorted([a, b], "-updated_at").map((n) => n.id)).toEqual([1, 2]);
  });

  it("lays waiting changes over the server's list", () => {
    const notes = merged(
      [a, b],
      [
        { kind: "update", id: 1, fields: { name: "renamed" }, base: null },
        { kind: "delete", id: 2, base: null },
        { kind: "create", id: -1, fields: { name: "new", text: "t", pad_id: null } },
      ],
      new Map(),
    );
    expect([...notes.values()].map((n) => n.name).sort()).toEqual(["new", "renamed"]);
  });

  it("says when in words", () => {
    const now = new Date("2026-01-10T12:00:00Z");
    expect(when("2026-01-10T11:59:50Z", now)).toBe("just now");
    expect(when("2026-01-10T11:00:00Z", now)).toBe("1 hour ago");
    expect(when("2026-01-09T12:00:00Z", now)).toBe("yesterday");
    expect(when("2025-12-01T00:00:00Z", now)).toBe("2025-12-01");
  });
});
