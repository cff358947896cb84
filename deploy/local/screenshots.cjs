// The browser half of deploy/local/screenshots.sh (which starts the app and sets SHOTS_*):
// seeds content through the admin's own forms and the public site's, checks the admin's
// layout at 1280 and 390 px, exercises the admin script, and writes PNGs to SHOTS_OUT.
// Prints one line per check; exits 1 if any failed.
"use strict";

const path = require("node:path");
const { chromium } = require(process.env.SHOTS_PLAYWRIGHT);

const BASE = process.env.SHOTS_BASE_URL;
const STAFF = { email: process.env.SHOTS_STAFF_EMAIL, password: process.env.SHOTS_STAFF_PASSWORD };
const OUT = process.env.SHOTS_OUT;
const WIDTHS = [1280, 390];
const HEIGHT = { 1280: 900, 390: 844 };

let failures = 0;
function ok(message) {
  console.log(`ok    ${message}`);
}
function fail(message) {
  failures += 1;
  console.log(`FAIL  ${message}`);
}
function check(condition, message) {
  (condition ? ok : fail)(message);
  return condition;
}

/// Opens `url` and fails on anything but a 2xx; every console error of the page (a CSP
/// violation, a script error) fails too.
async function visit(page, url) {
  const response = await page.goto(BASE + url);
  if (!response || !response.ok()) {
    throw new Error(`GET ${url}: ${response ? response.status() : "no response"}`);
  }
  return response;
}

function watchConsole(page, label) {
  page.on("console", (message) => {
    // Failed requests are reported by the response handler below, with their URL.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      fail(`${label}: browser console error on ${page.url()}: ${message.text()}`);
    }
  });
  page.on("response", (response) => {
    // The browser asks for /favicon.ico by itself where a page names no icon.
    if (response.status() >= 400 && new URL(response.url()).pathname !== "/favicon.ico") {
      fail(`${label}: ${response.status()} for ${response.url()} (on ${page.url()})`);
    }
  });
  page.on("pageerror", (error) => fail(`${label}: script error on ${page.url()}: ${error.message}`));
}

/// A JPEG drawn by the browser itself (no image files in the repository): a gradient with a
/// few shapes, `width`×`height`.
async function makeJpeg(page, hue, width, height) {
  const data = await page.evaluate(
    ([hue, width, height]) => {
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const g = canvas.getContext("2d");
      const sky = g.createLinearGradient(0, 0, 0, height);
      sky.addColorStop(0, `hsl(${hue}, 55%, 78%)`);
      sky.addColorStop(1, `hsl(${(hue + 40) % 360}, 45%, 45%)`);
      g.fillStyle = sky;
      g.fillRect(0, 0, width, height);
      g.fillStyle = `hsl(${(hue + 180) % 360}, 40%, 30%)`;
      g.beginPath();
      g.moveTo(0, height);
      g.lineTo(width * 0.35, height * 0.45);
      g.lineTo(width * 0.6, height * 0.75);
      g.lineTo(width * 0.8, height * 0.5);
      g.lineTo(width, height);
      g.fill();
      g.fillStyle = "rgba(255, 255, 240, .9)";
      g.beginPath();
      g.arc(width * 0.75, height * 0.25, height * 0.1, 0, Math.PI * 2);
      g.fill();
      return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
    },
    [hue, width, height],
  );
  return Buffer.from(data, "base64");
}

async function signIn(page) {
  await visit(page, "/signin/");
  await page.fill("#id_email", STAFF.email);
  await page.fill("#id_password", STAFF.password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/signin/")), page.click("form button[type=submit]")]);
}

/// Submits an admin change form with "Save" and expects the list with its success message.
async function save(page, what) {
  await Promise.all([page.waitForNavigation(), page.click('button[name="then"][value="list"]')]);
  const flash = await page.locator(".flash-success").first().textContent({ timeout: 5000 }).catch(() => null);
  if (!flash) {
    const errors = await page.locator(".field-error").allTextContents();
    throw new Error(`saving ${what} failed: ${errors.join("; ") || page.url()}`);
  }
}

const CATEGORIES = [
  { name: "Field notes", summary: "Short reports from walks, markets and workshops.", hue: 150 },
  { name: "Essays", summary: "Longer pieces, written slowly.", hue: 210 },
  { name: "Announcements", summary: "News about Folio itself.", hue: 30 },
];

const BODY = `Folio keeps the **Markdown** you type and shows it on the site as the preview does.

## What we saw

- Morning light on the *old harbour*, low tide
- A market stall selling [hand-bound notebooks](https://example.org/notebooks)
- Rain at noon, ~~sun~~ none after

> Write it down before it is gone.

| Place | Time | Weather |
|---|---|---|
| Harbour | 07:10 | clear |
| Market | 11:30 | rain |

Notes end with a footnote.[^1]

[^1]: Written on the train home.
`;

const ITEMS = [
  { title: "A morning at the harbour", category: "Field notes", status: "published", image: 190 },
  { title: "Notebooks bound by hand at the Saturday market, and the people who make them", category: "Field notes", status: "published", image: 20 },
  { title: "Why we write slowly", category: "Essays", status: "published", image: 260 },
  { title: "On keeping notes for twenty years", category: "Essays", status: "draft", image: null },
  { title: "Folio now sends an email for every new item", category: "Announcements", status: "published", image: null },
  { title: "Draft: the autumn reading list", category: "Essays", status: "draft", image: 320 },
];

async function seed(page) {
  for (const category of CATEGORIES) {
    await visit(page, "/admin/categories/add/");
    await page.fill("#id_name", category.name);
    await page.fill("#id_summary", category.summary);
    await page.setInputFiles("#id_image", {
      name: "cover.jpg",
      mimeType: "image/jpeg",
      buffer: await makeJpeg(page, category.hue, 900, 600),
    });
    await save(page, `category ${category.name}`);
  }
  for (const item of ITEMS) {
    await visit(page, "/admin/items/add/");
    await page.fill("#id_title", item.title);
    await page.selectOption("#id_category", { label: item.category });
    await page.fill("#id_summary", `About ${item.title.toLowerCase()}.`);
    await page.fill("#id_body", BODY);
    await page.selectOption("#id_status", item.status);
    if (item.image !== null) {
      await page.setInputFiles("#id_image", {
        name: "photo.jpg",
        mimeType: "image/jpeg",
        buffer: await makeJpeg(page, item.image, 1600, 1000),
      });
    }
    await save(page, `item ${item.title}`);
  }
  ok(`seeded ${CATEGORIES.length} categories and ${ITEMS.length} items (${ITEMS.filter((i) => i.image !== null).length} with images) through the admin forms`);
}

/// Readers' side: subscribers and contact messages through the public forms (the site allows
/// five such posts per client an hour: three and two).
async function seedReaders(page) {
  for (const email of ["reader@example.org", "a.rather.long.subscriber.address+folio@subscribers.example.net", "third.reader@example.com"]) {
    await visit(page, "/site/subscribe/");
    await page.fill("#id_email", email);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/site/subscribe/"] button[type=submit]')]);
  }
  const messages = [
    ["Ada Reader", "ada@example.org", "A question about the harbour piece", "Where was the second photograph taken?"],
    ["Long Name Sender", "someone.with.a.long.address@mail.example.com", "Subscription", "Please add me to the list."],
  ];
  for (const [name, email, subject, message] of messages) {
    await visit(page, "/site/contact/");
    await page.fill("#id_name", name);
    await page.fill("#id_email", email);
    await page.fill("#id_subject", subject);
    await page.fill("textarea[name=message]", message);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/site/contact/"] button[type=submit]')]);
  }
  ok("3 subscribers and 2 contact messages sent through the public forms");
}

/// In the page: how wide the document is, and for each visible table whether its last column
/// can be seen, scrolling its scroll container (if any) all the way.
function measure() {
  const viewport = window.innerWidth;
  const scrollsX = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const clips = (el) => ["hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const tables = [];
  for (const table of document.querySelectorAll("main table")) {
    if (table.getClientRects().length === 0) {
      continue; // not rendered (a closed <details>)
    }
    const header = table.tHead ? table.tHead.rows[0] : table.rows[0];
    const last = header.cells[header.cells.length - 1];
    let scroller = null;
    let clippedBy = null;
    for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      if (scrollsX(el)) {
        scroller = scroller || el;
      } else if (clips(el) && !clippedBy) {
        clippedBy = el.className || el.tagName;
      }
    }
    const name = last.textContent.trim() || last.querySelector("[aria-label]")?.getAttribute("aria-label") || "(empty)";
    let fits = true;
    let reachable;
    if (scroller) {
      fits = scroller.scrollWidth <= scroller.clientWidth;
      const before = scroller.scrollLeft;
      scroller.scrollLeft = scroller.scrollWidth;
      const box = scroller.getBoundingClientRect();
      const cell = last.getBoundingClientRect();
      reachable = cell.right <= box.right + 1 && cell.left >= box.left - 1 && box.left >= -0.5 && box.right <= viewport + 0.5;
      scroller.scrollLeft = before;
    } else {
      const cell = last.getBoundingClientRect();
      fits = cell.right <= viewport + 0.5;
      reachable = fits;
    }
    tables.push({ name, columns: header.cells.length, scroller: Boolean(scroller), fits, reachable: reachable && !clippedBy, clippedBy });
  }
  return { scrollWidth: document.documentElement.scrollWidth, viewport, tables };
}

const LISTS = [
  "/admin/",
  "/admin/categories/",
  "/admin/items/",
  "/admin/users/",
  "/admin/subscribers/",
  "/admin/contact-messages/",
  "/admin/jobs/",
  "/admin/audit-log/",
];

async function checkLayout(page, width, url) {
  const m = await page.evaluate(measure);
  check(m.scrollWidth <= m.viewport, `${width} px ${url}: the page does not scroll sideways (document ${m.scrollWidth} px, window ${m.viewport} px)`);
  m.tables.forEach((t, i) => {
    const where = t.scroller ? (t.fits ? "fits its card" : "scrolls inside its card") : "fits the page";
    check(t.reachable, `${width} px ${url}: table ${i + 1} (${t.columns} columns) ${where}; last column “${t.name}” ${t.reachable ? "reachable" : `NOT reachable${t.clippedBy ? ` (clipped by ${t.clippedBy})` : ""}`}`);
    // On a laptop-sized screen the lists must not need sideways scrolling at all.
    if (width >= 1280 && LISTS.includes(url)) {
      check(t.fits, `${width} px ${url}: table ${i + 1} shows every column without scrolling`);
    }
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`png   ${path.join(OUT, `${name}.png`)}`);
}

/// The select-all box and the "N of M selected" counter on the items list.
async function checkSelection(page) {
  await visit(page, "/admin/items/");
  const all = page.locator("input.select-all");
  check(await all.isVisible(), "the items list shows the select-all checkbox (the admin script ran under the CSP)");
  check((await all.getAttribute("aria-label")) === "Select all items on this page", "the select-all checkbox has an accessible label");
  const rows = page.locator('tbody input[name="ids"]');
  const count = await rows.count();
  await all.check();
  const checked = await page.locator('tbody input[name="ids"]:checked').count();
  check(count > 0 && checked === count, `select all ticks every row (${checked} of ${count})`);
  const counter = (await page.locator(".admin-selected").textContent()).trim();
  check(counter === `${count} of ${count} selected`, `the counter says “${counter}”`);
  await rows.first().uncheck();
  check(await all.evaluate((box) => box.indeterminate && !box.checked), "unticking one row leaves the select-all box half-ticked");
  await all.click();
  check((await page.locator('tbody input[name="ids"]:checked').count()) === count, "clicking the half-ticked box selects every row again");
  await all.click();
  check((await page.locator('tbody input[name="ids"]:checked').count()) === 0, "clicking it once more clears every row");
  check((await page.locator(".admin-selected").textContent()).trim() === `0 of ${count} selected`, "and the counter says 0");
}

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.SHOTS_CHROMIUM });
  try {
    const staffContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const staffPage = await staffContext.newPage();
    watchConsole(staffPage, "seed");
    await signIn(staffPage);
    await seed(staffPage);
    const readers = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const readerPage = await readers.newPage();
    watchConsole(readerPage, "readers");
    await seedReaders(readerPage);
    // The embedded worker makes the renditions of the uploads; wait until the public home
    // page uses them (WebP sources) rather than photographing the originals.
    for (let i = 0; i < 50; i += 1) {
      await visit(readerPage, "/site/");
      if ((await readerPage.locator('source[type="image/webp"]').count()) > 0) {
        break;
      }
      await readerPage.waitForTimeout(200);
    }
    const session = await staffContext.storageState();
    const itemId = await (async () => {
      await visit(staffPage, "/admin/items/?o=title");
      const href = await staffPage.locator('tbody a[href^="/admin/items/"]', { hasText: "A morning at the harbour" }).getAttribute("href");
      return href.split("/")[3];
    })();

    for (const width of WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: HEIGHT[width] }, storageState: session });
      const page = await context.newPage();
      watchConsole(page, `${width} px`);
      for (const url of [...LISTS, `/admin/items/${itemId}/`, "/admin/categories/add/"]) {
        await visit(page, url);
        await checkLayout(page, width, url);
      }
      // The change form after Preview: the preview beside the form (wide) or below it.
      await visit(page, `/admin/items/${itemId}/`);
      await page.locator("details.admin-md-help summary").click();
      await Promise.all([page.waitForNavigation(), page.click("button[formaction]")]);
      check(await page.locator("#preview .site-body h2").isVisible(), `${width} px: the preview shows the rendered body`);
      await checkLayout(page, width, `/admin/items/${itemId}/preview/`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot(page, `admin-item-preview-${width}`);
      await visit(page, "/admin/items/");
      await shot(page, `admin-items-${width}`);
      await visit(page, "/admin/");
      await shot(page, `admin-dashboard-${width}`);
      await visit(page, "/admin/subscribers/");
      await shot(page, `admin-subscribers-${width}`);
      await visit(page, `/admin/items/${itemId}/`);
      await page.locator("details.admin-md-help summary").click();
      check(await page.locator("details.admin-md-help table").isVisible(), `${width} px: “Markdown help” opens its cheat-sheet`);
      await shot(page, `admin-item-change-${width}`);
      // The public pages, as an anonymous reader sees them.
      const anonymous = await browser.newContext({ viewport: { width, height: HEIGHT[width] } });
      const reader = await anonymous.newPage();
      watchConsole(reader, `${width} px reader`);
      await visit(reader, "/site/");
      await shot(reader, `site-home-${width}`);
      const link = await reader.locator('a[href^="/site/items/"]', { hasText: "A morning at the harbour" }).first().getAttribute("href");
      await visit(reader, link);
      await shot(reader, `site-item-${width}`);
      await anonymous.close();
      await context.close();
    }
    await checkSelection(staffPage);
  } finally {
    await browser.close();
  }
  console.log(failures === 0 ? "screenshots: every check passed" : `screenshots: ${failures} check(s) FAILED`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`FAIL  ${error.stack || error}`);
  process.exitCode = 1;
});
