import { defineConfig } from "vitest/config";

// The app lives at /app/ on Folio's origin (served by the binary from web/dist, or in AWS by
// CloudFront from its bucket). Hashed file names under /app/assets/ can be cached forever;
// index.html is always revalidated.
export default defineConfig({
  base: "/app/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  // The app bundles Folio's stylesheet from the server's crate (one design, one file).
  server: {
    fs: { allow: [".", "../crates/folio-web/src/layout"] },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // No source maps in the published bundle: the source is in the repository.
    sourcemap: false,
    target: "es2022",
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
