// cycles.mjs fails when the modules of web/src import each other in a
// circle: it follows every relative import (and import type, and export
// from) and prints each circle it finds. Run by cmd/plugin-server's
// Console test: node web/tests/cycles.mjs [dir].
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src"));
const exts = [".ts", ".tsx", ".mts", ".js", ".jsx", ".mjs"];

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return exts.some((e) => n.endsWith(e)) ? [p] : [];
  });
}

function target(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const c of [base, ...exts.map((e) => base + e), ...exts.map((e) => join(base, "index" + e))]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

const importRe = /(?:^|[;\n])\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|(?:^|[;\n])\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
const graph = new Map();
for (const f of files(root)) {
  const src = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const deps = new Set();
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith(".")) continue;
    const t = target(f, spec);
    if (t) deps.add(t);
  }
  graph.set(f, [...deps]);
}

// Depth-first search; a back edge closes a circle.
const state = new Map();
const stack = [];
const circles = [];
function visit(f) {
  state.set(f, "open");
  stack.push(f);
  for (const d of graph.get(f) ?? []) {
    if (state.get(d) === "open") circles.push([...stack.slice(stack.indexOf(d)), d]);
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, "done");
}
for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);

if (circles.length) {
  for (const c of circles) console.error("import circle: " + c.map((f) => relative(root, f)).join(" -> "));
  process.exit(1);
}
console.log(`no import circle among ${graph.size} modules of ${relative(process.cwd(), root) || "."}`);
