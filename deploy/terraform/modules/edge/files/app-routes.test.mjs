// The app-routes CloudFront Function's rewrites: node --test deploy/terraform/modules/edge/files/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const source = readFileSync(new URL("./app-routes.js", import.meta.url), "utf8");
const handler = new Function(`${source}; return handler;`)();
const route = (uri) => handler({ request: { uri, querystring: {} } }).uri;

test("the app's own addresses are the entry page", () => {
  for (const uri of ["/app/", "/app/pads/3/", "/app/pads/3", "/app/anything/deeper/"]) {
    assert.equal(route(uri), "/app/index.html", uri);
  }
});

test("its files are served as they are", () => {
  assert.equal(route("/app/assets/index-Dm5_.js"), "/app/assets/index-Dm5_.js");
  assert.equal(route("/app/assets/index-MF.css"), "/app/assets/index-MF.css");
  assert.equal(route("/app/robots.txt"), "/app/robots.txt");
  assert.equal(route("/app/index.html"), "/app/index.html");
});

test("a dotted name deeper down is still a route", () => {
  assert.equal(route("/app/pads/v1.2/"), "/app/index.html");
  assert.equal(route("/app/pads/a.b"), "/app/index.html");
});
