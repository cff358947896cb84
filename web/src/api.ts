// The JSON API as the app uses it: the browser's session (same origin, its cookie) and the
// session's CSRF token in X-CSRF-Token on writes. Every answer that is not a success becomes an
// ApiError carrying the RFC 9457 problem; a request that never got an answer (offline, a
// dropped connection, no answer within the time limit) becomes a NetworkError, which the outbox
// retries.

export type Order = "name" | "-name" | "updated_at" | "-updated_at";

export interface Me {
  id: number;
  email: string;
  csrf_token: string | null;
}

export interface Pad {
  id: number;
  name: string;
}

export interface NoteSummary {
  id: number;
  name: string;
  pad_id: number | null;
  updated_at: string;
}

export interface Note extends NoteSummary {
  text: string;
  pad_name: string | null;
}

/** A resource with the ETag it was read (or written) at. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

export interface NoteFields {
  name: string;
  text: string;
  pad_id: number | null;
}

export interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }

  get status(): number {
    return this.problem.status;
  }
}

export class NetworkError extends Error {}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const BASE = "/api/v1";

/**
 * How long a request may go unanswered. On a flaky connection a request can hang instead of
 * failing; without a limit the outbox would wait on it forever and send nothing else.
 */
export const REQUEST_TIMEOUT_MS = 20_000;

export class Api {
  private csrf: string | null = null;

  constructor(
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** Who is signed in; 401 (an ApiError) when nobody is. Keeps the CSRF token for writes. */
  async me(): Promise<Me> {
    const me = (await this.send<Me>("GET", "/me")).value;
    this.csrf = me.csrf_token;
    return me;
  }

  async pads(): Promise<Pad[]> {
    return this.all<Pad>("/pads");
  }

  /** Every note (all pages), in `order`, optionally of one pad. */
  async notes(order: Order, pad: number | null): Promise<NoteSummary[]> {
    const query = new URLSearchParams({ order, per_page: "500" });
    if (pad !== null) query.set("pad", String(pad));
    return this.all<NoteSummary>(`/notes?${query}`);
  }

  note(id: number): Promise<Versioned<Note>> {
    return this.send<Note>("GET", `/notes/${id}`);
  }

  createNote(fields: NoteFields): Promise<Versioned<Note>> {
    return this.send<Note>("POST", "/notes", fields);
  }

  /** A change made against version `etag`: 412 (an ApiError) when the note changed since. */
  updateNote(id: number, fields: Partial<NoteFields>, etag: string | null): Promise<Versioned<Note>> {
    return this.send<Note>("PATCH", `/notes/${id}`, fields, etag);
  }

  async deleteNote(id: number, etag: string | null): Promise<void> {
    await this.send<null>("DELETE", `/notes/${id}`, undefined, etag);
  }

  async createPad(name: string): Promise<Pad> {
    return (await this.send<Pad>("POST", "/pads", { name })).value;
  }

  async renamePad(id: number, name: string): Promise<Pad> {
    return (await this.send<Pad>("PATCH", `/pads/${id}`, { name })).value;
  }

  async deletePad(id: number): Promise<void> {
    await this.send<null>("DELETE", `/pads/${id}`);
  }

  /** Follows the `next` links of a list until its last page. */
  private async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = `${BASE}${path}`;
    while (next) {
      const response = await this.raw("GET", next);
      const page = await bodyOf<{ data: T[] }>(response);
      items.push(...page.data);
      next = nextLink(response.headers.get("link"));
    }
    return items;
  }

  private async send<T>(method: string, path: string, body?: unknown, ifMatch?: string | null): Promise<Versioned<T>> {
    const response = await this.raw(method, `${BASE}${path}`, body, ifMatch);
    const etag = response.headers.get("etag") ?? "";
    const value = response.status === 204 ? null : await bodyOf<T>(response);
    return { value: value as T, etag };
  }

  private async raw(method: string, url: string, body?: unknown, ifMatch?: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    if (ifMatch) headers["If-Match"] = ifMatch;
    let response: Response;
    try {
      response = await this.fetcher(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        // Also bounds reading the body.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : String(err));
    }
    if (!response.ok) throw new ApiError(await problemOf(response));
    return response;
  }
}

/** The answer's JSON; a body cut off (connection lost, time limit) is a NetworkError too. */
async function bodyOf<T>(response: Response): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch (err) {
    // A SyntaxError is a body that arrived and is not JSON: not something a retry mends.
    if (err instanceof SyntaxError) throw err;
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const problem = (await response.json()) as Problem;
    if (typeof problem.status === "number") return problem;
  } catch {
    // Not a problem document (a proxy's error page): described below.
  }
  return { title: response.statusText || "Error", status: response.status, detail: `The server answered ${response.status}.` };
}

/** The URL of `rel="next"` in a `Link` header. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part.trim());
    if (match) return match[1];
  }
  return null;
}
