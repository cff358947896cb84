// The notes app end to end, in Debian's Chromium driven by playwright-core, against a running
// Folio (APP_BASE_URL) that serves the app's build at /app/. One person, two browser sessions:
// sign in, pads and notes, edit, sort, a conflicting edit from the second session (both
// versions shown, one kept), delete, offline then online, keyboard only, phone width.
// Screenshots go to APP_SHOTS_DIR. Exits non-zero on the first failed check.
//
//   APP_BASE_URL=http://127.0.0.1:8000 APP_CHROMIUM=/usr/bin/chromium node e2e/app.e2e.mjs

import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { chromium } from "playwright-core";

const base = process.env.APP_BASE_URL ?? "http://127.0.0.1:8000";
const shots = process.env.APP_SHOTS_DIR ?? "e2e/shots";
const executablePath = process.env.APP_CHROMIUM ?? "/usr/bin/chromium";
const email = `app-${Date.now()}@example.org`;
const password = "a long enough password";
mkdirSync(shots, { recursive: true });

let checks = 0;
const sessions = [];
function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  checks += 1;
  console.log(`ok ${checks} - ${what}`);
}

const browser = await chromium.launch({
  executablePath,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** A browser session with its console errors and refused requests collected. */
async function session(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, baseURL: base });
  const page = await context.newPage();
  const problems = [];
  sessions.push(page);
  page.on("console", (message) => {
    // The offline part makes requests fail on purpose; everything else must be clean.
    if (message.type() === "error" && !/net::ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  // The API traffic with times, printed when a check fails (what the outbox sent, and when).
  const t0 = Date.now();
  const traffic = [];
  const stamp = () => `${String(Date.now() - t0).padStart(6)} ms`;
  page.on("requestfailed", (r) => r.url().includes("/api/") && traffic.push(`${stamp()} ${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
  page.on("requestfinished", async (r) => {
    if (!r.url().includes("/api/")) return;
    const response = await r.response().catch(() => null);
    traffic.push(`${stamp()} ${r.method()} ${r.url()} ${response?.status() ?? "?"}`);
  });
  page.on("console", (m) => traffic.push(`${stamp()} console.${m.type()}: ${m.text()}`));
  page.traffic = traffic;
  page.mark = (what) => traffic.push(`${stamp()} ---- ${what}`);
  return { context, page, problems };
}

async function signIn(page) {
  await page.goto("/app/");
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/app/**");
}

const status = (page) => page.locator(".sync").innerText();
async function waitSaved(page) {
  await page.locator(".sync-synced").waitFor();
}

const noteLinks = (page) => page.locator(".note-list .note-name");

try {
  // --- Signed out, the app asks to sign in; sign up through the pages, then sign in.
  const a = await session();
  await a.page.goto("/app/");
  await a.page.getByRole("heading", { name: "Sign in to see your notes" }).waitFor();
  check(true, "signed out, /app/ asks to sign in");
  await a.page.screenshot({ path: join(shots, "app-signed-out.png"), fullPage: true });
  await a.page.goto("/signup/");
  await a.page.getByLabel("Email").fill(email);
  await a.page.getByLabel("Password", { exact: true }).fill(password);
  await a.page.getByLabel(/Repeat password|Confirm password/).fill(password);
  await a.page.getByRole("button", { name: /Sign up/ }).click();
  await a.page.waitForURL("**/signin/**");
  await signIn(a.page);

  // Time to interactive: from navigation to the empty list being usable.
  const started = Date.now();
  await a.page.goto("/app/");
  await a.page.getByText("No notes here yet.").waitFor();
  const tti = Date.now() - started;
  const navigation = await a.page.evaluate(() => {
    const entry = performance.getEntriesByType("navigation")[0];
    return { domContentLoaded: Math.round(entry.domContentLoadedEventEnd), load: Math.round(entry.loadEventEnd) };
  });
  console.log(`time to interactive (navigation to a usable list): ${tti} ms; DOMContentLoaded ${navigation.domContentLoaded} ms, load ${navigation.load} ms`);
  check(tti < 5000, `the app is usable within 5 s of navigation (${tti} ms)`);
  await a.page.screenshot({ path: join(shots, "app-empty.png"), fullPage: true });

  // --- A pad, then notes: one by the button, one by the keyboard.
  await a.page.getByLabel("New pad").fill("Work");
  await a.page.getByRole("button", { name: "Add" }).click();
  await a.page.getByRole("heading", { name: /^Work/ }).waitFor();
  await a.page.waitForURL(/\/app\/pads\/\d+\//, { timeout: 5000 }).catch(() => {});
  check(a.page.url().includes("/app/pads/"), "a new pad opens at its own address");
  await a.page.getByRole("button", { name: "New note" }).click();
  await a.page.getByLabel("Name").fill("Quarterly plan");
  await a.page.getByLabel("Text").fill("Hire two people.");
  await a.page.getByRole("button", { name: "Create note" }).click();
  await waitSaved(a.page);
  check((await noteLinks(a.page).allInnerTexts()).includes("Quarterly plan"), "a note created in the pad is listed there");
  await a.page.getByRole("link", { name: /All notes/ }).click();
  await a.page.keyboard.press("Escape");
  await a.page.keyboard.press("n");
  check(await a.page.getByLabel("Name").evaluate((el) => el === document.activeElement), "n opens a new note with the name field focused");
  await a.page.keyboard.type("Groceries");
  await a.page.getByLabel("Text").fill("milk");
  await a.page.keyboard.press("Control+s");
  await waitSaved(a.page);
  await a.page.keyboard.press("Escape");
  check((await noteLinks(a.page).count()) === 2, "two notes in All notes");

  // --- The same sorting as the pages.
  await a.page.getByLabel("Sort").selectOption("name");
  check((await noteLinks(a.page).allInnerTexts()).join("|") === "Groceries|Quarterly plan", "sorted by name, A to Z");
  await a.page.waitForURL(/order=name/, { timeout: 5000 }).catch(() => {});
  check(a.page.url().includes("order=name"), "the order is in the address");
  await a.page.getByLabel("Sort").selectOption("-name");
  check((await noteLinks(a.page).allInnerTexts()).join("|") === "Quarterly plan|Groceries", "sorted by name, Z to A");

  // --- Keyboard only: k and j move (from the last note made), o opens, the text is edited and
  // saved, Escape closes.
  await a.page.locator("body").click({ position: { x: 5, y: 5 } });
  await a.page.keyboard.press("k");
  await a.page.keyboard.press("k");
  await a.page.keyboard.press("j");
  await a.page.keyboard.press("k");
  check(await a.page.locator(".note-list a.cursor .note-name").innerText() === "Quarterly plan", "k and j move through the list");
  await a.page.keyboard.press("o");
  await a.page.getByLabel("Text").waitFor();
  await a.page.waitForFunction(() => !document.querySelector("#note-text")?.hasAttribute("disabled"));
  check((await a.page.getByLabel("Name").inputValue()) === "Quarterly plan", "o opens the chosen note");
  await a.page.getByLabel("Text").fill("Hire two people. Open an office.");
  await a.page.keyboard.press("Control+Enter");
  await waitSaved(a.page);
  await a.page.screenshot({ path: join(shots, "app-editor.png"), fullPage: true });
  await a.page.keyboard.press("Escape");
  check(await a.page.locator("#note-text").count() === 0, "Escape closes the editor");

  // --- A conflicting edit from a second session.
  const b = await session();
  await signIn(b.page);
  await a.page.getByRole("link", { name: "Groceries" }).click();
  await a.page.waitForFunction(() => document.querySelector("#note-text")?.value === "milk");
  await b.page.getByRole("link", { name: "Groceries" }).click();
  await b.page.waitForFunction(() => document.querySelector("#note-text")?.value === "milk");
  await b.page.getByLabel("Text").fill("milk, bread (from the phone)");
  await b.page.getByRole("button", { name: "Save" }).click();
  await waitSaved(b.page);
  await a.page.getByLabel("Text").fill("milk, eggs (from the laptop)");
  await a.page.getByRole("button", { name: "Save" }).click();
  await a.page.getByRole("heading", { name: "This note changed elsewhere" }).waitFor();
  const versions = await a.page.locator(".version-text").allInnerTexts();
  check(
    versions.includes("milk, eggs (from the laptop)") && versions.includes("milk, bread (from the phone)"),
    "a conflicting edit shows both versions",
  );
  await a.page.screenshot({ path: join(shots, "app-conflict.png"), fullPage: true });
  await a.page.getByRole("button", { name: "Keep mine" }).click();
  await waitSaved(a.page);
  await b.page.reload();
  await b.page.getByRole("link", { name: "Groceries" }).click();
  await b.page.waitForFunction(() => document.querySelector("#note-text")?.value === "milk, eggs (from the laptop)");
  check(true, "keeping mine wrote it over theirs, as the other session now reads");

  // --- Offline, then online: changes wait, survive a reload's worth of state, and go.
  await a.page.keyboard.press("Escape");
  // The browser goes offline (its events and navigator.onLine), and every API request fails at
  // once: Chromium's offline emulation alone let a request through now and then.
  await a.page.route("**/api/v1/**", (route) => route.abort("internetdisconnected"));
  a.page.mark("offline");
  await a.context.setOffline(true);
  await a.page.waitForFunction(() => !navigator.onLine);
  await a.page.getByRole("link", { name: "Groceries" }).click();
  await a.page.waitForFunction(() => document.querySelector("#note-text")?.value?.startsWith("milk, eggs"));
  await a.page.getByLabel("Text").fill("milk, eggs, coffee (offline)");
  await a.page.getByRole("button", { name: "Save" }).click();
  await a.page.keyboard.press("Escape");
  await a.page.keyboard.press("n");
  await a.page.getByLabel("Name").fill("Written offline");
  await a.page.getByLabel("Text").fill("on the train");
  await a.page.getByRole("button", { name: "Create note" }).click();
  await a.page
    .waitForFunction(() => /Offline: 2 changes waiting/.test(document.querySelector(".sync")?.textContent ?? ""), null, { timeout: 10_000 })
    .catch(() => {});
  const queued = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("folio.outbox")).map((k) => localStorage.getItem(k)).join());
  check(/Offline: 2 changes waiting/.test(await status(a.page)), `offline, the badge counts the waiting changes (${await status(a.page)}; queue ${queued})`);
  check((await noteLinks(a.page).allInnerTexts()).includes("Written offline"), "a note made offline is listed at once");
  await a.page.screenshot({ path: join(shots, "app-offline.png"), fullPage: true });
  a.page.mark("online");
  await a.page.unroute("**/api/v1/**");
  await a.context.setOffline(false);
  a.page.mark("online, network emulation off");
  await waitSaved(a.page);
  await b.page.reload();
  await b.page.getByRole("link", { name: "Written offline" }).waitFor();
  await b.page.getByRole("link", { name: "Groceries" }).click();
  await b.page.waitForFunction(() => document.querySelector("#note-text")?.value === "milk, eggs, coffee (offline)");
  check(true, "back online, both offline changes reached the server");

  // --- Delete, with its confirmation.
  await a.page.keyboard.press("Escape");
  await a.page.getByRole("link", { name: "Written offline" }).click();
  await a.page.getByRole("button", { name: "Delete" }).click();
  await a.page.getByRole("button", { name: "Delete note" }).click();
  await waitSaved(a.page);
  await a.page.reload();
  await a.page.getByRole("link", { name: "Groceries" }).waitFor();
  check(!(await noteLinks(a.page).allInnerTexts()).includes("Written offline"), "a deleted note stays gone after a reload");

  // --- Phone width.
  const phone = await session({ width: 390, height: 844 });
  await signIn(phone.page);
  await phone.page.getByRole("link", { name: "Groceries" }).waitFor();
  await phone.page.screenshot({ path: join(shots, "app-phone-list.png"), fullPage: true });
  await phone.page.getByRole("link", { name: "Groceries" }).click();
  await phone.page.waitForFunction(() => document.querySelector("#note-text")?.value?.length > 0);
  await phone.page.screenshot({ path: join(shots, "app-phone-editor.png"), fullPage: true });
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `nothing is wider than a phone screen (overflow ${overflow}px)`);

  for (const [who, s] of [["first session", a], ["second session", b], ["phone", phone]]) {
    check(s.problems.length === 0, `no script errors or refused requests in the ${who}: ${s.problems.join("; ")}`);
  }
  console.log(`all ${checks} checks passed`);
} catch (err) {
  // What each session showed when it failed, to read in the CI log and to look at.
  for (const [i, page] of sessions.entries()) {
    await page.screenshot({ path: join(shots, `failure-session-${i + 1}.png`), fullPage: true }).catch(() => {});
    console.error(`--- session ${i + 1} at ${page.url()}:\n${await page.locator("body").innerText().catch(() => "?")}`);
    console.error(`--- session ${i + 1}'s API requests, last 40:\n${page.traffic.slice(-40).join("\n")}`);
  }
  throw err;
} finally {
  await browser.close();
}
