// Drives the console in Debian's Chromium with playwright-core, as a person
// would, against a plugin-server started in sandbox mode; run by
// cmd/plugin-server/console_test.go (go test -run TestConsole), which
// passes:
//   CONSOLE_URL   the server's base URL (the console is at /)
//   ADMIN_KEY     an admin API key of the server
//   BUILDER_KEY   a builder API key of the same workspace
//   OUT_DIR       where the screenshots go
//   CHROMIUM      the browser (default /usr/bin/chromium)
//   RETURN_TO     "console" (default): the server accepts the console's own
//                 origin as a returnUrl, so LinkedIn sends the tab back to
//                 the console; "server": it does not (the console was
//                 loaded from another origin than the server's public URL),
//                 so the server's own page ends the dance,
//                 the console polls, and the run stops after getUserInfo
//   APP_KIND      "self-serve" (default): the walk-through above on the
//                 server's self-serve app; "community": after signing in,
//                 datasources on the sandbox's Community Management app
//                 (sandbox-community): posting as a page chosen in the
//                 author dropdown, reading it back, the page's follower
//                 statistics of the last 30 days drawn as a chart with
//                 their rows as a table, and a scope that app refuses
//                 (openid) coming back as a message to the admin
// It prints one line per step and, last, "N passed, N failed"; it exits
// non-zero when a check failed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = process.env.CONSOLE_URL;
const adminKey = process.env.ADMIN_KEY;
const builderKey = process.env.BUILDER_KEY;
const out = process.env.OUT_DIR;
const returnTo = process.env.RETURN_TO || "console";
const appKind = process.env.APP_KIND || "self-serve";
if (!base || !adminKey || !builderKey || !out) {
  console.error("CONSOLE_URL, ADMIN_KEY, BUILDER_KEY and OUT_DIR are required");
  process.exit(2);
}
mkdirSync(join(out, "forms"), { recursive: true });

let passed = 0;
const failures = [];
let shotNo = 0;
const consoleErrors = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // The machine's network is closed: no background connections.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
context.setDefaultTimeout(15000);

function watch(page, name) {
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${name}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${name}: uncaught ${e.message}`));
}

const page = await context.newPage();
watch(page, "console");

async function shot(p, name) {
  shotNo++;
  const file = join(out, `${String(shotNo).padStart(2, "0")}-${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  return file;
}

/** step runs one check; a failure is recorded and the run goes on when it can. */
// httpErrors: the step expects 4xx answers (a wrong key, a field error),
// which Chromium reports on the console as resources that failed to load.
async function step(name, f, { fatal = false, httpErrors = false } = {}) {
  const errorsBefore = consoleErrors.length;
  try {
    await f();
    const newErrors = consoleErrors
      .slice(errorsBefore)
      .filter((e) => !(httpErrors && /Failed to load resource: the server responded with a status of 4\d\d/.test(e)));
    if (newErrors.length) throw new Error("console errors: " + newErrors.join(" | "));
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message.split("\n")[0]}`);
    console.log(`FAIL ${name}: ${e.message.split("\n").slice(0, 3).join(" / ")}`);
    await shot(page, "failed-" + name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)).catch(() => {});
    if (fatal) await finish();
  }
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function finish() {
  await browser.close().catch(() => {});
  for (const f of failures) console.log("failed: " + f);
  console.log(`${passed} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

const row = () => page.locator("table.datasources tbody tr").filter({ hasText: "Marketing" });
/** The row of the datasource named exactly name. */
const rowNamed = (name) =>
  page.locator("table.datasources tbody tr").filter({ has: page.getByRole("button", { name, exact: true }) });
const commandSection = (id) => page.locator(`.command[data-command="${id}"]`);

async function chooseCommand(id) {
  await page.selectOption("#command", id);
  await commandSection(id).waitFor();
}

async function run(id) {
  const section = commandSection(id);
  const before = await section.locator("[data-testid=result]").count();
  await section.locator("[data-testid=run]").click();
  await section.locator("[data-testid=run]").filter({ hasNotText: "Running" }).waitFor();
  await section.locator("[data-testid=result]").waitFor();
  expect((await section.locator("[data-testid=result]").count()) >= before, "no result");
  const status = await section.locator("[data-testid=http-status]").textContent();
  const envelope = JSON.parse(await section.locator("[data-testid=envelope]").textContent());
  return { status: Number(status.replace("HTTP ", "")), envelope };
}

/**
 * fitsWidths fails when page p, at 390 px (a phone) or at 1280 px wide,
 * scrolls sideways or shows a button cut off at the right edge; it takes a
 * screenshot at each width (name-390px, name-1280px) and calls also(width)
 * for the screen's own checks. The viewport is put back as it was.
 */
async function fitsWidths(p, name, also) {
  const was = p.viewportSize();
  try {
    for (const width of [390, 1280]) {
      await p.setViewportSize({ width, height: 900 });
      await p.waitForTimeout(150);
      const m = await p.evaluate(() => {
        const doc = document.documentElement;
        const edge = doc.clientWidth + 0.5;
        const over = (e) => e.getBoundingClientRect().right > edge;
        // The outermost elements past the right edge, to name in a failure.
        const wide = [...document.body.querySelectorAll("*")]
          .filter((e) => over(e) && e.getClientRects().length && !over(e.parentElement))
          .slice(0, 6)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""} (${Math.round(e.getBoundingClientRect().width)} px wide)`);
        const cut = [...document.querySelectorAll("button")]
          .filter((b) => b.getClientRects().length && b.getBoundingClientRect().right > edge)
          .map((b) => b.textContent.trim());
        return { scroll: doc.scrollWidth, client: doc.clientWidth, wide, cut };
      });
      expect(m.scroll <= m.client, `${name} at ${width} px scrolls sideways: ${m.scroll} px of content in ${m.client} px; wider: ${m.wide.join(", ")}`);
      expect(m.cut.length === 0, `${name} at ${width} px: buttons cut off at the right: ${m.cut.join(", ")}`);
      if (also) await also(width);
      await shot(p, `${name}-${width}px`);
    }
  } finally {
    if (was) await p.setViewportSize(was);
  }
}

/** Fails when a row's action buttons are not all on one line. */
async function actionsOnOneLine(r, what) {
  const tops = await r.locator("td.actions button").evaluateAll((bs) => bs.map((b) => Math.round(b.getBoundingClientRect().top)));
  expect(tops.length >= 2 && tops.every((t) => t === tops[0]), `${what}: the action buttons wrap (tops ${JSON.stringify(tops)})`);
}

function noUnsupported(text, what) {
  expect(!text.includes("Unsupported field schema"), `${what}: "Unsupported field schema" is shown`);
  expect(!text.includes("could not be rendered"), `${what}: ${text.match(/The form of .* could not be rendered[^\n]*/)?.[0]}`);
}

await step("the page loads under its CSP and asks for an API key", async () => {
  const resp = await page.goto(base + "/");
  expect(resp.status() === 200, `GET / is ${resp.status()}: the console is not routed (internal/httpapi/routes.go)`);
  const csp = resp.headers()["content-security-policy"] ?? "";
  expect(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), `CSP ${csp}`);
  await page.locator("#api-key").waitFor();
  await shot(page, "api-key");
}, { fatal: true, httpErrors: true });

// A link to the console that looks like LinkedIn's return, written by
// anyone: none of its free text may be shown, only the fixed text of a
// code the console knows.
const phishing = "Your session expired, enter your key at evil.example";
/** Opens the console at query in a fresh tab with no key; returns the tab. */
async function openForged(ctx, query) {
  const p = await ctx.newPage();
  watch(p, "forged link");
  await p.goto(base + "/?" + new URLSearchParams(query).toString());
  await p.locator("#api-key").waitFor();
  return p;
}
/** Fails when any of words is in the page, as text, markup or attribute. */
async function nowhere(p, words) {
  const html = await p.content();
  const text = await p.evaluate(() => document.body.innerText);
  for (const w of words) {
    expect(!html.toLowerCase().includes(w.toLowerCase()) && !text.toLowerCase().includes(w.toLowerCase()), `"${w}" is on the page: ${text.slice(0, 300)}`);
  }
  expect(!p.url().includes("?"), "the query stays in the address bar: " + p.url());
}
const forgedId = "ds_" + "a".repeat(20);

if (returnTo === "console" && appKind === "self-serve") {
  await step("a forged link's message and unknown code are not shown before the key", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p = await openForged(ctx, { datasourceId: forgedId, status: "error", error: "whatever", message: phishing });
      const banner = p.locator("[data-testid=auth-return]");
      await banner.waitFor();
      const said = await banner.textContent();
      expect(said.includes("LinkedIn did not authorize the app."), "banner says " + said);
      await nowhere(p, [phishing, "evil.example", "session expired", "whatever", forgedId]);
      await shot(p, "forged-link-unknown-code");

      // A known code: its fixed text, never the message beside it.
      const q = await openForged(ctx, { datasourceId: forgedId, status: "error", error: "access_denied", message: phishing });
      const b2 = q.locator("[data-testid=auth-return]");
      await b2.waitFor();
      const said2 = await b2.textContent();
      expect(said2.includes("LinkedIn denied the authorization.") && said2.includes("access_denied"), "banner says " + said2);
      await nowhere(q, [phishing, "evil.example", "session expired", forgedId]);
      await shot(q, "forged-link-access-denied");

      // Free text where an id, a code or a status goes; markup; a key
      // every object has; a forged success: nothing of them either.
      for (const query of [
        { datasourceId: phishing, status: "error", error: "access_denied" },
        { datasourceId: forgedId, status: phishing, error: "access_denied" },
        { datasourceId: forgedId, status: "error", error: "<img src=x onerror=alert(1)>evil.example" },
        { datasourceId: forgedId, status: "error", error: "constructor", message: phishing },
        { datasourceId: forgedId, status: "error", error: "__proto__", message: phishing },
        { datasourceId: forgedId, status: "authorized", message: phishing },
        { message: phishing },
      ]) {
        const r = await openForged(ctx, query);
        await r.waitForTimeout(200);
        await nowhere(r, [phishing, "evil.example", "onerror", "constructor", "__proto__", forgedId]);
        await r.close();
      }
    } finally {
      await ctx.close();
    }
  }, { httpErrors: true });
}

await step("a wrong key shows a clear message and nothing else", async () => {
  await page.fill("#api-key", "wrong-key-0123456789");
  await page.click("button[type=submit]");
  const msg = page.locator("[data-testid=key-error]");
  await msg.waitFor();
  expect(/did not accept this API key/.test(await msg.textContent()), "message: " + (await msg.textContent()));
  expect((await page.locator("section[aria-label=Datasources]").count()) === 0, "datasources shown with a wrong key");
  expect((await page.evaluate(() => sessionStorage.length)) === 0, "a wrong key was kept");
  await shot(page, "wrong-key");
}, { httpErrors: true });

await step("the admin key signs in; it is kept in sessionStorage only", async () => {
  await page.fill("#api-key", adminKey);
  await page.click("button[type=submit]");
  await page.locator("section[aria-label=Datasources]").waitFor();
  expect((await page.locator("[data-testid=who]").textContent()).includes("admin"), "role not shown as admin");
  const where = await page.evaluate(() => ({ local: localStorage.length, session: Object.values(sessionStorage) }));
  expect(where.local === 0 && where.session.includes(adminKey), "the key is not in sessionStorage alone");
  expect(!(await page.evaluate(() => document.cookie)), "a cookie was set");
  await shot(page, "signed-in");
}, { fatal: true, httpErrors: true });

if (appKind === "community") {
  await community();
  await finish();
}

await step("the datasource form renders and creates a datasource", async () => {
  await page.click("[data-testid=new-datasource]");
  const form = page.locator("[data-testid=datasource-form]");
  await form.locator("form").waitFor();
  noUnsupported(await form.textContent(), "datasource form");
  await page.fill("#root_name", "Marketing");
  // The default scopes are checked: openid, profile, email, w_member_social.
  expect(await form.getByLabel(/w_member_social/).isChecked(), "w_member_social is not checked by default");
  await shot(page, "datasource-form");
  await form.locator("button[type=submit]").click();
  await row().waitFor();
  expect((await row().locator("[data-testid=auth-status]").getAttribute("data-status")) === "unauthorized", "new datasource not unauthorized");
  await shot(page, "datasource-created");
}, { fatal: true });

await step("Authorize opens the consent page in a new tab; Allow updates the list", async () => {
  const [consent] = await Promise.all([context.waitForEvent("page"), row().getByRole("button", { name: "Authorize" }).click()]);
  watch(consent, "consent tab");
  await consent.waitForURL(/\/sandbox\/oauth\/v2\/authorization/);
  await consent.locator("#approve").waitFor();
  await shot(consent, "consent-page");
  await consent.click("#approve");
  if (returnTo === "console") {
    // The callback sends the tab back to the console's small page, which
    // says it and closes itself: no second console.
    const closed = consent.waitForEvent("close", { timeout: 15000 });
    await consent.locator("[data-testid=consent-done] [data-testid=auth-return]").waitFor();
    // One sentence, said once.
    const said = (await consent.locator("[data-testid=consent-done]").innerText()).trim();
    expect(said === "Authorized. You can close this tab.", "the consent tab says " + JSON.stringify(said));
    expect(!consent.url().includes("status="), "the return query stays in the address bar");
    expect((await consent.locator("section[aria-label=Datasources], header.top").count()) === 0, "the consent tab shows a console");
    await shot(consent, "returned-tab");
    await closed;
  } else {
    // No returnUrl: the server's own page says it, and the console polls.
    await consent.waitForURL(/\/oauth\/callback/);
    await consent.getByText("LinkedIn connected").waitFor();
    await shot(consent, "returned-tab");
    await consent.close();
  }
  await row().locator("[data-testid=auth-status][data-status=authorized]").waitFor();
  const status = await row().locator("[data-testid=auth-status]").textContent();
  expect(status.includes("John Doe"), "status says " + status);
  await shot(page, "authorized");
}, { fatal: true, httpErrors: true });

await step("the datasource list fits 390 px and 1280 px; its buttons are on one line at 1280 px", async () => {
  await fitsWidths(page, "datasources", async (width) => {
    const actions = row().locator("td.actions");
    const box = await actions.boundingBox();
    expect(box && box.width > 0, "no Actions column");
    if (width === 1280) await actionsOnOneLine(row(), "Marketing at 1280 px");
  });
});

await step("Test says the connection works", async () => {
  await row().getByRole("button", { name: "Test" }).click();
  await page.locator("[data-testid=notice]").filter({ hasText: "Marketing:" }).waitFor();
});

let sub = "";
await step("getUserInfo runs from its form", async () => {
  await row().getByRole("button", { name: "Commands" }).click();
  await page.locator("[data-testid=commands]").waitFor();
  await chooseCommand("getUserInfo");
  const r = await run("getUserInfo");
  expect(r.status === 200 && r.envelope.output?.sub, "answer " + JSON.stringify(r).slice(0, 300));
  sub = r.envelope.output.sub;
  await shot(page, "getUserInfo");
  await fitsWidths(page, "getUserInfo-result");
});
if (returnTo !== "console") await finish();

await step("a dry run shows the request with the token redacted", async () => {
  const s = commandSection("getUserInfo");
  await s.locator("[data-testid=dry-run]").check();
  const r = await run("getUserInfo");
  expect(r.status === 200 && r.envelope.meta?.dryRun === true, "not a dry run: " + JSON.stringify(r.envelope).slice(0, 200));
  expect(r.envelope.output.headers.Authorization === "Bearer [REDACTED]", "authorization " + r.envelope.output.headers.Authorization);
  await shot(page, "dry-run");
});

await step("createPost runs from its form", async () => {
  await chooseCommand("createPost");
  const s = commandSection("createPost");
  expect((await s.locator("#cmd-createPost_author").inputValue()) === `person:${sub}`, "author not prefilled");
  await s.locator("#cmd-createPost_text").fill("Hello World from the console!");
  const r = await run("createPost");
  expect(r.status === 200 && r.envelope.status === 201 && r.envelope.output?.id, "answer " + JSON.stringify(r.envelope).slice(0, 300));
  await shot(page, "createPost");
  await fitsWidths(page, "createPost-form");
});

await step("empty text shows the server's error on the text field, with code and request id", async () => {
  const s = commandSection("createPost");
  await s.locator("#cmd-createPost_text").fill("");
  const r = await run("createPost");
  expect(r.status === 400 && r.envelope.error?.code === "invalid_input", "answer " + JSON.stringify(r.envelope).slice(0, 300));
  const fieldError = s.locator(".has-error, .field-error").filter({ has: page.locator("#cmd-createPost_text") });
  await fieldError.waitFor();
  const text = await fieldError.textContent();
  expect(r.envelope.error.fields.some((f) => f.field === "text" && text.includes(f.message)), "field shows " + text);
  const line = await s.locator("[data-testid=error]").textContent();
  expect(line.includes("invalid_input") && line.includes(r.envelope.meta.requestId), "error line " + line);
  await shot(page, "createPost-empty-text");
}, { httpErrors: true });

let mediaUrn = "";
const flow = page.locator("[data-testid=media-flow]");
/** Posts with the media flow's Post button and returns the post's id. */
async function mediaPost(text, title) {
  await flow.locator("#media-text").fill(text);
  await flow.locator("#media-title").fill(title);
  await flow.locator("[data-testid=post]").click();
  await flow.locator("[data-testid=posted]").waitFor({ timeout: 30000 });
  const id = (await flow.locator("[data-testid=posted] code").textContent()).trim();
  expect(/^urn:li:(share|ugcPost):/.test(id), "post id " + id);
  // Posted: the fields are done with, and the way to post again is offered.
  expect(await flow.locator("#media-text").isDisabled(), "the text can still be edited after posting");
  expect(await flow.locator("[data-testid=post-another]").isEnabled(), "no Post another");
  return id;
}
/** Before an upload, step 3 says what will happen instead of showing nothing. */
async function processingSaysWhatComes() {
  const said = (await flow.locator("[data-testid=media-processing]").innerText()).trim();
  expect(/AVAILABLE/.test(said) && said.length > "LinkedIn processes it:".length + 10, "step 3 before an upload says " + JSON.stringify(said));
}
let firstMediaPost = "";
await step("the media flow: pick, upload with progress, AVAILABLE, post", async () => {
  await processingSaysWhatComes();
  // A PNG-looking file of 3 MiB, so that the upload takes a few progress events.
  const png = Buffer.alloc(3 << 20, 7);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
  await flow.locator("#media-file").setInputFiles({ name: "office.png", mimeType: "image/png", buffer: png });
  await shot(page, "media-picked");
  const seen = [];
  await page.exposeFunction("__progress", (v) => seen.push(v)).catch(() => {});
  await page.evaluate(() => {
    const bar = document.querySelector("[data-testid=upload-progress]");
    new MutationObserver(() => window.__progress(Number(bar.getAttribute("value")))).observe(bar, { attributes: true });
  });
  // Uploads at 1 MiB/s, as over a slow link, so the bar has steps to show.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1 << 20 });
  await flow.locator("[data-testid=upload]").click();
  await flow.locator("[data-testid=media-status]").filter({ hasText: "AVAILABLE" }).waitFor({ timeout: 60000 });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  expect((await flow.locator("[data-testid=upload-percent]").textContent()) === "100%", "progress not at 100%");
  expect(seen.at(-1) === 100 && seen.some((v) => v > 0 && v < 100), "progress went " + JSON.stringify(seen));
  const urn = await flow.locator("[data-testid=media-urn]").textContent();
  expect(/^urn:li:image:/.test(urn), "media " + urn);
  mediaUrn = urn;
  await shot(page, "media-available");
  firstMediaPost = await mediaPost("Our new office", "The office");
  console.log(`     progress values seen: ${JSON.stringify(seen.slice(0, 12))}${seen.length > 12 ? "…" : ""}`);
  await shot(page, "media-posted");
  await flow.screenshot({ path: join(out, "forms", "media-posted.png") });
  await fitsWidths(page, "media-posted");
});

await step("the media flow again: Post another, then a PDF posted the same way", async () => {
  const owner = await flow.locator("#media-owner").inputValue();
  await flow.locator("[data-testid=post-another]").click();
  // A fresh start: no file, no text, nothing uploaded; the author stays.
  expect((await flow.locator("#media-owner").inputValue()) === owner, `the author became ${await flow.locator("#media-owner").inputValue()}, was ${owner}`);
  expect((await flow.locator("#media-file").inputValue()) === "", "the file stays chosen");
  expect((await flow.locator("#media-text").inputValue()) === "" && (await flow.locator("#media-text").isEnabled()), "the text is not emptied and editable");
  expect((await flow.locator("[data-testid=media-urn], [data-testid=posted], [data-testid=result]").count()) === 0, "the last upload is still shown");
  expect((await flow.locator("[data-testid=upload-percent]").textContent()) === "0%", "progress not back at 0%");
  expect(await flow.locator("[data-testid=post]").isDisabled(), "Post is enabled before an upload");
  expect((await flow.locator("[data-testid=posted-earlier]").textContent()).includes(firstMediaPost), "the first post is no longer listed");
  await processingSaysWhatComes();
  await shot(page, "media-again");
  await flow.screenshot({ path: join(out, "forms", "media-again.png") });
  await flow.locator("#media-file").setInputFiles({ name: "report.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%%EOF\n") });
  await flow.locator("[data-testid=upload]").click();
  await flow.locator("[data-testid=media-status]").filter({ hasText: "AVAILABLE" }).waitFor({ timeout: 60000 });
  const urn = await flow.locator("[data-testid=media-urn]").textContent();
  expect(/^urn:li:document:/.test(urn), "media " + urn);
  const id = await mediaPost("Our report", "Q3 report");
  expect(id !== firstMediaPost, "the same post id twice: " + id);
  await shot(page, "media-posted-again");
  await flow.screenshot({ path: join(out, "forms", "media-posted-again.png") });
  await fitsWidths(page, "media-posted-again", async (width) => {
    await flow.screenshot({ path: join(out, "forms", `media-posted-again-${width}px.png`) });
  });
});

// sharePost's content is one choice: the picker shows only the chosen
// content's fields, and the form sends only what was filled (issue 21).
async function sharePostRun(dry) {
  const s = commandSection("sharePost");
  const box = s.locator("[data-testid=dry-run]");
  if (dry) await box.check();
  else await box.uncheck();
  const sent = page.waitForRequest((r) => r.method() === "POST" && /\/execute/.test(r.url()));
  const r = await run("sharePost");
  const params = JSON.parse((await sent).postData()).params;
  return { ...r, params };
}
const contentKeys = ["article", "media", "multiImage", "poll", "reshareOf"];
/** Fails when params carry another content than kind, or an empty value anywhere. */
function onlyContent(params, kind) {
  const given = contentKeys.filter((k) => k in params);
  expect(JSON.stringify(given) === JSON.stringify(kind ? [kind] : []), `sent ${JSON.stringify(params)}`);
  const empty = (v) => v === null || v === "" || (typeof v === "object" && Object.keys(v).length === 0);
  const walk = (v, path) => {
    expect(!empty(v), `sent an empty ${path}: ${JSON.stringify(params)}`);
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path + "." + k);
  };
  for (const [k, v] of Object.entries(params)) if (typeof v !== "boolean") walk(v, k);
}
function succeeded(r, what) {
  expect(r.status === 200 && !r.envelope.error && r.envelope.status !== 400, `${what}: ${JSON.stringify(r.envelope).slice(0, 400)}`);
}
async function pickContent(label) {
  const s = commandSection("sharePost");
  const picker = s.locator("select[id$=__oneof_select]");
  await picker.selectOption({ label });
  return s;
}
/** The form's height, in CSS pixels. */
async function formHeight() {
  return (await commandSection("sharePost").locator("form").boundingBox()).height;
}
let textPostId = "";
/** A screenshot of the page, and one of sharePost's section alone. */
async function sharePostShot(name) {
  await shot(page, name);
  await commandSection("sharePost").screenshot({ path: join(out, "forms", `${name}.png`) });
}

await step("sharePost: Fill with the example, then Run, sends only the text post", async () => {
  await chooseCommand("sharePost");
  const s = commandSection("sharePost");
  const picker = s.locator("select[id$=__oneof_select]");
  const labels = (await picker.locator("option").allTextContents()).map((t) => t.trim());
  expect(JSON.stringify(labels) === JSON.stringify(["Text only", "Article (a link)", "Image, video or document", "Several images", "Poll", "Reshare"]),
    "picker lists " + JSON.stringify(labels));
  expect((await s.locator("#cmd-sharePost_article_source, #cmd-sharePost_poll_question").count()) === 0, "content fields shown for a text post");
  const height = await formHeight();
  console.log(`     sharePost form, text only: ${Math.round(height)} px`);
  expect(height < 1400, `the form is ${height} px tall`);
  await s.getByRole("button", { name: /Fill with the example/ }).click();
  await sharePostShot("sharePost-text-only");
  let r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "");
  expect(r.envelope.meta?.dryRun === true && r.envelope.output.body.content === undefined, "request " + JSON.stringify(r.envelope.output).slice(0, 300));
  r = await sharePostRun(false);
  succeeded(r, "run");
  expect(r.envelope.status === 201 && /^urn:li:share:/.test(r.envelope.output?.id ?? ""), "answer " + JSON.stringify(r.envelope).slice(0, 300));
  textPostId = r.envelope.output.id;
  await shot(page, "sharePost-text-posted");
});

await step("sharePost: an article, dry run then posted", async () => {
  const s = await pickContent("Article (a link)");
  // Without its URL: the server names article.source, shown on the field.
  await s.locator("#cmd-sharePost_article_title").fill("We launched");
  const bad = await sharePostRun(true);
  expect(bad.status === 400 && bad.envelope.error?.fields?.some((f) => f.field === "article.source"), "answer " + JSON.stringify(bad.envelope).slice(0, 400));
  onlyContent(bad.params, "article");
  await s.locator(".has-error, .field-error").filter({ has: page.locator("#cmd-sharePost_article_source") }).waitFor();
  await s.locator("#cmd-sharePost_article_source").fill("https://example.com/launch");
  await s.locator("#cmd-sharePost_article_title").fill("We launched");
  expect((await s.locator("#cmd-sharePost_poll_question, #cmd-sharePost_media_id").count()) === 0, "other contents' fields shown");
  await s.locator("#cmd-sharePost_commentary").fill("Read about our launch (from the console)");
  await sharePostShot("sharePost-article");
  let r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "article");
  expect((await s.locator("#cmd-sharePost_article_source").locator("xpath=ancestor::*[contains(@class,'has-error')]").count()) === 0, "the error stays on the URL");
  expect(r.envelope.output.body.content?.article?.source === "https://example.com/launch", "request " + JSON.stringify(r.envelope.output.body));
  r = await sharePostRun(false);
  succeeded(r, "run");
  expect(r.envelope.status === 201 && /^urn:li:share:/.test(r.envelope.output?.id ?? ""), "answer " + JSON.stringify(r.envelope).slice(0, 300));
}, { httpErrors: true });

await step("sharePost: an image, dry run then posted", async () => {
  const s = await pickContent("Image, video or document");
  expect((await s.locator("#cmd-sharePost_article_source").count()) === 0, "the article's fields stay");
  await s.locator("#cmd-sharePost_media_id").fill(mediaUrn || "image:C4E10AQ1");
  await s.locator("#cmd-sharePost_media_altText").fill("Our office");
  await sharePostShot("sharePost-media");
  let r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "media");
  expect(/^urn:li:image:/.test(r.envelope.output.body.content?.media?.id ?? ""), "request " + JSON.stringify(r.envelope.output.body));
  if (mediaUrn) {
    r = await sharePostRun(false);
    succeeded(r, "run");
    expect(r.envelope.status === 201 && /^urn:li:share:/.test(r.envelope.output?.id ?? ""), "answer " + JSON.stringify(r.envelope).slice(0, 300));
  }
});

await step("sharePost: several images, dry run", async () => {
  const s = await pickContent("Several images");
  for (let i = 0; i < 2; i++) {
    const id = s.locator(`#cmd-sharePost_multiImage_images_${i}_id`);
    if ((await id.count()) === 0) await s.locator("button.btn-add").first().click();
    await id.fill(`image:C4E10AQ${i + 1}`);
  }
  await sharePostShot("sharePost-multiImage");
  const r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "multiImage");
  expect(r.envelope.output.body.content?.multiImage?.images?.length === 2, "request " + JSON.stringify(r.envelope.output.body));
});

await step("sharePost: a poll, its duration three days as its help says, dry run", async () => {
  const s = await pickContent("Poll");
  const duration = s.locator("select#cmd-sharePost_poll_duration");
  const shown = (await duration.locator("option:checked").textContent()).trim();
  expect(shown === "Three days", `"Open for" shows ${shown}`);
  await s.locator("#cmd-sharePost_poll_question").fill("Tabs or spaces?");
  for (let i = 0; i < 2; i++) {
    const o = s.locator(`#cmd-sharePost_poll_options_${i}`);
    if ((await o.count()) === 0) await s.locator("button.btn-add").first().click();
    await o.fill(["Tabs", "Spaces"][i]);
  }
  const text = await s.locator("form").innerText();
  expect(!/Option\*?\s*\n\s*Option/.test(text) && !/Poll\s*\n\s*Poll/.test(text), "labels repeat: " + text.slice(0, 600));
  await sharePostShot("sharePost-poll");
  const r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "poll");
  expect(r.envelope.output.body.content?.poll?.settings?.duration === "THREE_DAYS", "request " + JSON.stringify(r.envelope.output.body));
});

await step("sharePost: a reshare, dry run", async () => {
  const s = await pickContent("Reshare");
  await s.locator("#cmd-sharePost_reshareOf").fill(textPostId || "share:6844785523593134080");
  await sharePostShot("sharePost-reshare");
  const r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "reshareOf");
  expect(/^urn:li:share:/.test(r.envelope.output.body.reshareContext?.parent ?? ""), "request " + JSON.stringify(r.envelope.output.body));
});

await step("sharePost: back to Text only, nothing of the poll or reshare is sent", async () => {
  const s = await pickContent("Text only");
  await s.locator("#cmd-sharePost_commentary").fill("Only text again");
  const r = await sharePostRun(true);
  succeeded(r, "dry run");
  onlyContent(r.params, "");
  await s.locator("[data-testid=dry-run]").uncheck();
});

// Every command's example runs in the console as written (issue 21): the
// console puts the member it knows in place of the example's author, and
// the upload URL it got from Register Media Upload in place of the
// example's LinkedIn one.
/** Chooses id, fills its example, and runs it (dry or for real). */
async function runExample(id, dry) {
  await chooseCommand(id);
  const s = commandSection(id);
  await page.waitForLoadState("networkidle").catch(() => {});
  await s.getByRole("button", { name: /Fill with the example/ }).click();
  const box = s.locator("[data-testid=dry-run]");
  if (dry) await box.check();
  else await box.uncheck();
  const sent = page.waitForRequest((r) => r.method() === "POST" && /\/execute/.test(r.url()));
  const r = await run(id);
  return { ...r, params: JSON.parse((await sent).postData()).params };
}
await step("createPost's example posts as the authorized member, not the example's", async () => {
  await chooseCommand("createPost");
  const s = commandSection("createPost");
  const member = await s.locator("#cmd-createPost_author").inputValue();
  expect(/^person:/.test(member) && member !== "person:123456789", "the form's author is " + member);
  const r = await runExample("createPost", false);
  expect(r.params.author === member, `sent author ${r.params.author}, the form had ${member}`);
  succeeded(r, "createPost");
  expect(r.envelope.status === 201, "createPost answered " + JSON.stringify(r.envelope).slice(0, 300));
  await shot(page, "createPost-example-posted");
});

let registeredUploadUrl = "";
await step("uploadMedia's example takes the upload URL of Register Media Upload, and uploads", async () => {
  await chooseCommand("uploadMedia");
  const hint = commandSection("uploadMedia").locator("[data-testid=upload-url-hint]");
  expect((await hint.count()) === 1, "no hint to run Register Media Upload first");
  const reg = await runExample("registerMediaUpload", false);
  succeeded(reg, "registerMediaUpload");
  registeredUploadUrl = reg.envelope.output?.value?.uploadMechanism?.["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"]?.uploadUrl ?? "";
  expect(registeredUploadUrl.startsWith(base), "registered upload URL " + registeredUploadUrl);
  let r = await runExample("uploadMedia", true);
  expect(r.params.uploadUrl === registeredUploadUrl, `sent uploadUrl ${r.params.uploadUrl}, registered ${registeredUploadUrl}`);
  succeeded(r, "uploadMedia dry run");
  expect((await commandSection("uploadMedia").locator("[data-testid=upload-url-hint]").count()) === 0, "the hint stays");
  await commandSection("uploadMedia").screenshot({ path: join(out, "forms", "uploadMedia-example.png") });
  r = await runExample("uploadMedia", false);
  succeeded(r, "uploadMedia");
  expect(r.envelope.status >= 200 && r.envelope.status < 300, "uploadMedia answered " + JSON.stringify(r.envelope).slice(0, 300));
  await shot(page, "uploadMedia-example-uploaded");
});

// Every command's form, as the server declares it, with no error.
const commands = await page.locator("#command option").evaluateAll((os) => os.map((o) => o.value));
for (const id of commands) {
  await step(`the example of ${id} runs as a dry run`, async () => {
    await chooseCommand(id);
    if ((await commandSection(id).getByRole("button", { name: /Fill with the example/ }).count()) === 0) {
      console.log(`     ${id} has no example`);
      return;
    }
    const r = await runExample(id, true);
    expect(r.envelope.error?.code !== "invalid_input", `${id}: ${JSON.stringify(r.envelope.error ?? null).slice(0, 400)}`);
    if (r.envelope.error?.code === "authorization_required") {
      // The example is right; this datasource lacks the scope it needs.
      console.log(`     ${id}: needs a scope Marketing was not granted`);
      return;
    }
    succeeded(r, id + " dry run");
    expect(r.envelope.meta?.dryRun === true, `${id}: not a dry run`);
    for (const f of ["author", "owner", "actor"]) {
      expect(!String(r.params[f] ?? "").includes("123456789"), `${id} sent the example's ${f} ${r.params[f]}`);
    }
    // Only a refused scope may answer 4xx (checked above), which Chromium
    // logs as a resource that failed to load.
  }, { httpErrors: true });
}
for (const id of commands) {
  await step(`the form of ${id} renders`, async () => {
    await chooseCommand(id);
    const s = commandSection(id);
    await s.locator("form, [role=alert]").first().waitFor();
    // Let dynamic dropdowns load.
    await page.waitForLoadState("networkidle").catch(() => {});
    noUnsupported(await s.textContent(), id);
    expect((await s.locator("form").count()) === 1, "no form");
    // Open every list and key-value editor once: their items render too.
    const adds = await s.locator("button.btn-add").count();
    for (let i = 0; i < adds; i++) await s.locator("button.btn-add").nth(i).click();
    noUnsupported(await s.textContent(), id + " with an item in each list");
    await s.screenshot({ path: join(out, "forms", `${id}.png`) });
  });
}

await step("the edit form renders; the client secret is never shown", async () => {
  await row().getByRole("button", { name: "Edit" }).click();
  const form = page.locator("[data-testid=datasource-form]");
  await form.locator("form").waitFor();
  noUnsupported(await form.textContent(), "edit form");
  expect((await page.inputValue("#root_config_clientSecret").catch(() => "")) === "", "a secret is shown");
  await shot(page, "datasource-edit");
  await page.fill("#root_name", "Marketing team");
  await form.locator("button[type=submit]").click();
  await page.locator("[data-testid=notice]").filter({ hasText: "saved" }).waitFor();
});

await step("a builder key sees no admin buttons", async () => {
  const builder = await context.newPage();
  watch(builder, "builder tab");
  await builder.goto(base + "/");
  // A new tab has its own sessionStorage: it asks again.
  await builder.fill("#api-key", builderKey);
  await builder.click("button[type=submit]");
  await builder.locator("section[aria-label=Datasources]").waitFor();
  await builder.locator("table.datasources tbody tr").first().waitFor();
  expect((await builder.locator("[data-testid=who]").textContent()).includes("builder"), "role not builder");
  for (const name of ["New datasource", "Authorize", "Delete", "Edit", "Disconnect"]) {
    expect((await builder.getByRole("button", { name }).count()) === 0, `a builder sees ${name}`);
  }
  await shot(builder, "builder");
  await builder.close();
}, { httpErrors: true });

await step("signed in, a forged link still shows fixed text and what the server says", async () => {
  const id = await row().getAttribute("data-id");
  await page.goto(base + "/?" + new URLSearchParams({ datasourceId: id, status: "error", error: "access_denied", message: phishing }).toString());
  const banner = page.locator("[data-testid=auth-return]");
  await banner.locator("[data-testid=auth-return-name]").waitFor();
  const said = await banner.textContent();
  expect(said.includes("LinkedIn denied the authorization.") && said.includes("Marketing team"), "banner says " + said);
  // What the server says beside it: the datasource is still connected.
  await banner.locator("[data-testid=auth-return-kept]").filter({ hasText: "John Doe" }).waitFor();
  await page.locator("section[aria-label=Datasources]").waitFor();
  await nowhere(page, [phishing, "evil.example", "session expired"]);
  await shot(page, "forged-link-signed-in");
  await page.goto(base + "/");
  await row().waitFor();
});

await step("Disconnect, then Delete", async () => {
  await row().getByRole("button", { name: "Disconnect" }).click();
  await row().locator("[data-testid=auth-status][data-status=unauthorized]").waitFor();
  await row().getByRole("button", { name: "Delete" }).click();
  await fitsWidths(page, "confirm-delete");
  await row().getByRole("button", { name: "Yes, delete" }).click();
  await page.locator("[data-testid=notice]").filter({ hasText: "deleted" }).waitFor();
  expect((await row().count()) === 0, "still listed");
  await shot(page, "deleted");
});

await step("no token or secret on any page", async () => {
  const html = await page.content();
  expect(!/sandbox-secret|access_token|"refresh_token"/.test(html), "a secret is on the page");
});

await finish();

/**
 * newDatasource fills the datasource form: name, exactly the scopes given
 * (the others unchecked) and the sandbox's Community Management app.
 */
async function newDatasource(name, scopes, shotName) {
  await page.click("[data-testid=new-datasource]");
  const form = page.locator("[data-testid=datasource-form]");
  await form.locator("form").waitFor();
  noUnsupported(await form.textContent(), "datasource form");
  await page.fill("#root_name", name);
  const boxes = form.locator("input[type=checkbox][id^=root_config_scopes]");
  const n = await boxes.count();
  expect(n >= 10, `${n} scope checkboxes`);
  for (let i = 0; i < n; i++) {
    const box = boxes.nth(i);
    // RJSF's checkboxes carry the option's index; the label names the scope.
    const scope = (await box.locator("xpath=ancestor::label[1]").textContent()).trim().split(":")[0];
    if (scopes.includes(scope)) await box.check();
    else await box.uncheck();
  }
  await page.fill("#root_config_clientId", "sandbox-community");
  await page.fill("#root_config_clientSecret", "sandbox-community-secret");
  await shot(page, shotName);
  await form.locator("button[type=submit]").click();
  await rowNamed(name).waitFor();
  expect(
    (await rowNamed(name).locator("[data-testid=auth-status]").getAttribute("data-status")) === "unauthorized",
    `new datasource ${name} not unauthorized`,
  );
  const config = await page.evaluate(async (name) => {
    const r = await fetch("/v1/datasources", { headers: { Authorization: "Bearer " + sessionStorage.getItem("plugin-server.apiKey") } });
    return (await r.json()).datasources.find((d) => d.name === name)?.config;
  }, name);
  expect(
    JSON.stringify([...(config?.scopes ?? [])].sort()) === JSON.stringify([...scopes].sort()) && config?.clientId === "sandbox-community",
    `${name} stored as ${JSON.stringify(config)}`,
  );
}

/** The scenario on a Community Management app (APP_KIND=community). */
async function community() {
  const communityScopes = ["r_basicprofile", "w_member_social", "w_organization_social", "r_organization_social", "rw_organization_admin"];
  await step("a datasource on the Community Management app is created from the form", async () => {
    await newDatasource("Pages", communityScopes, "pages-form");
    expect((await rowNamed("Pages").locator("[data-testid=datasource-warning]").count()) === 0,
      "warning: " + (await rowNamed("Pages").locator("[data-testid=datasource-warning]").textContent().catch(() => "")));
    await shot(page, "pages-created");
  }, { fatal: true });

  await step("Pages is authorized through the consent page as John Doe", async () => {
    const [consent] = await Promise.all([context.waitForEvent("page"), rowNamed("Pages").getByRole("button", { name: "Authorize" }).click()]);
    watch(consent, "consent tab");
    await consent.waitForURL(/\/sandbox\/oauth\/v2\/authorization/);
    await consent.locator("#approve").waitFor();
    const asked = new URL(consent.url()).searchParams.get("scope") ?? "";
    expect(asked.split(" ").sort().join(" ") === [...communityScopes].sort().join(" "), "scopes asked: " + asked);
    expect(new URL(consent.url()).searchParams.get("client_id") === "sandbox-community", "client_id " + consent.url());
    await shot(consent, "pages-consent-page");
    const closed = consent.waitForEvent("close", { timeout: 15000 });
    await consent.click("#approve");
    await consent.locator("[data-testid=consent-done] [data-testid=auth-return]").waitFor();
    const said = (await consent.locator("[data-testid=consent-done]").innerText()).trim();
    expect(said === "Authorized. You can close this tab.", "return tab says " + JSON.stringify(said));
    await closed;
    await rowNamed("Pages").locator("[data-testid=auth-status][data-status=authorized]").waitFor();
    const status = await rowNamed("Pages").locator("[data-testid=auth-status]").textContent();
    expect(status.includes("John Doe"), "status says " + status);
    await shot(page, "pages-authorized");
  }, { fatal: true, httpErrors: true });

  await step("getUserInfo on a community app answers output.sub (read from /v2/me)", async () => {
    await rowNamed("Pages").getByRole("button", { name: "Commands" }).click();
    await page.locator("[data-testid=commands]").filter({ hasText: "Commands of Pages" }).waitFor();
    await chooseCommand("getUserInfo");
    const r = await run("getUserInfo");
    expect(r.status === 200 && r.envelope.output?.sub, "answer " + JSON.stringify(r).slice(0, 300));
    await shot(page, "pages-getUserInfo");
  });

  let postId = "";
  await step("sharePost's author dropdown lists the member and the pages with their roles", async () => {
    await chooseCommand("sharePost");
    const s = commandSection("sharePost");
    const author = s.locator("select#cmd-sharePost_author");
    await author.locator("option", { hasText: "Sandbox Labs" }).waitFor({ state: "attached" });
    const labels = (await author.locator("option").allTextContents()).map((t) => t.trim());
    console.log(`     authors: ${JSON.stringify(labels)}`);
    expect(labels.some((l) => l.includes("John Doe") && /\((urn:li:)?person:/.test(l)), "no member in " + JSON.stringify(labels));
    expect(labels.some((l) => /^Sandbox Devices \(administrator\) \((urn:li:)?organization:/.test(l)), "no Sandbox Devices administrator in " + JSON.stringify(labels));
    expect(labels.some((l) => /^Sandbox Labs \(content administrator\) \((urn:li:)?organization:/.test(l)), "no Sandbox Labs content administrator in " + JSON.stringify(labels));
    expect(!labels.some((l) => l.includes("Sandbox Insights")), "the ANALYST page is listed: " + JSON.stringify(labels));
    expect((await s.locator(".warning").count()) === 0, "warning: " + (await s.locator(".warning").first().textContent().catch(() => "")));
    const labs = labels.find((l) => l.startsWith("Sandbox Labs (content administrator)"));
    await author.selectOption({ label: labs });
    const chosen = await author.inputValue();
    expect(/^(urn:li:)?organization:/.test(chosen), "chosen " + chosen);
    // The example keeps the page chosen in place of its own author.
    await s.getByRole("button", { name: /Fill with the example/ }).click();
    expect((await author.inputValue()) === chosen, `after Fill with the example the author is ${await author.inputValue()}, not ${chosen}`);
    await s.locator("#cmd-sharePost_commentary").fill("Hello from Sandbox Labs, posted from the console");
    await shot(page, "sharePost-as-page");
    const r = await run("sharePost");
    expect(r.status === 200 && r.envelope.status === 201 && /^urn:li:share:/.test(r.envelope.output?.id ?? ""),
      "answer " + JSON.stringify(r.envelope).slice(0, 300));
    postId = r.envelope.output.id;
    await shot(page, "sharePost-posted");
  });

  await step("getPost reads the page's post as its author (r_organization_social)", async () => {
    expect(postId, "no post to read");
    await chooseCommand("getPost");
    const s = commandSection("getPost");
    await s.locator("#cmd-getPost_post").fill(postId);
    await s.locator("select#cmd-getPost_viewContext").selectOption({ label: "As its author (drafts too)" });
    const r = await run("getPost");
    expect(r.status === 200 && r.envelope.status === 200, "answer " + JSON.stringify(r.envelope).slice(0, 400));
    const body = JSON.stringify(r.envelope.output);
    expect(body.includes(postId.replace("urn:li:share:", "")), "another post: " + body.slice(0, 300));
    expect(body.includes("Hello from Sandbox Labs"), "not the text posted: " + body.slice(0, 300));
    await shot(page, "getPost-as-author");
  });

  await step("getFollowerStatistics of the page from the picker draws a chart of the last 30 days, and its rows as a table", async () => {
    await chooseCommand("getFollowerStatistics");
    const s = commandSection("getFollowerStatistics");
    // The picker lists the pages whose statistics the member may read (ADMINISTRATOR).
    const org = s.locator("select#cmd-getFollowerStatistics_organization");
    await org.locator("option", { hasText: "Sandbox Devices" }).waitFor({ state: "attached" });
    const labels = (await org.locator("option").allTextContents()).map((t) => t.trim());
    expect(!labels.some((l) => l.includes("Sandbox Labs")), "a page the member may not read statistics of is listed: " + JSON.stringify(labels));
    await org.selectOption({ label: labels.find((l) => l.startsWith("Sandbox Devices")) });
    const page0 = await org.inputValue();
    await s.locator("#cmd-getFollowerStatistics_start").fill("last 30 days");
    await s.locator("#cmd-getFollowerStatistics_end").fill("");
    await s.locator("select#cmd-getFollowerStatistics_granularity").selectOption({ label: "Day" });
    const r = await run("getFollowerStatistics");
    expect(r.status === 200 && r.envelope.status === 200, "answer " + JSON.stringify(r.envelope).slice(0, 400));
    const rows = r.envelope.rows ?? [];
    const names = Object.keys(r.envelope.series ?? {});
    expect(rows.length === 30 && rows.every((x) => /^\d{4}-\d{2}-\d{2}$/.test(x.date)), `${rows.length} rows for 30 days: ${JSON.stringify(rows.slice(0, 2))}`);
    expect(names.includes("followerGains") && names.length >= 2, "series " + JSON.stringify(names));
    expect(JSON.stringify(r.envelope.output).includes(page0.replace(/^(urn:li:)?/, "urn:li:")), "not the page chosen: " + page0);

    // One line per series, a point per day, the legend naming each column.
    const chart = s.locator("[data-testid=chart]");
    const svg = chart.locator("svg[role=img]");
    await svg.waitFor();
    expect((await chart.locator("g.series").count()) === names.length, `${await chart.locator("g.series").count()} lines for ${names.length} series`);
    for (const name of names) {
      const line = chart.locator(`g.series[data-series="${name}"]`);
      const points = (await line.locator("polyline").getAttribute("points")).trim().split(/\s+/);
      expect(points.length === 30 && (await line.locator("circle").count()) === 30, `${name}: ${points.length} points on the line, ${await line.locator("circle").count()} dots`);
    }
    const legend = (await chart.locator(".legend").innerText()).split("\n").map((t) => t.trim()).filter(Boolean);
    expect(legend.includes("followerGains") && names.every((n) => legend.includes(n)), "legend " + JSON.stringify(legend));
    // The axes: the first and last day, the lowest and highest value; a summary for screen readers.
    const first = rows[0].date, last = rows[rows.length - 1].date;
    const ticks = await svg.locator("text").allTextContents();
    const ys = names.flatMap((n) => r.envelope.series[n].map((p) => p.y));
    const fmt = (v) => v.toLocaleString("en-US", { maximumFractionDigits: 4 });
    for (const t of [first, last, fmt(Math.min(...ys)), fmt(Math.max(...ys))]) expect(ticks.includes(t), `no ${t} on the axes: ${JSON.stringify(ticks)}`);
    const summary = await svg.getAttribute("aria-label");
    expect(summary.includes(first) && summary.includes(last) && summary.includes("followerGains"), "aria-label " + summary);
    const tip = await chart.locator('g.series[data-series="followerGains"] circle title').first().textContent();
    expect(tip === `followerGains on ${first}: ${rows[0].followerGains}`, "first point's title " + tip);

    // The rows as a table: a line per day, a column per field.
    const table = s.locator("[data-testid=rows] table");
    expect((await table.locator("tbody tr").count()) === 30, `${await table.locator("tbody tr").count()} rows in the table`);
    const heads = await table.locator("th").allTextContents();
    expect(heads[0] === "date" && heads.includes("followerGains"), "table columns " + JSON.stringify(heads));
    expect((await table.locator("tbody tr").first().locator("td").first().textContent()) === first, "the table's first day is not " + first);

    // A column unchecked in the legend is not drawn.
    await chart.locator(".legend label", { hasText: "paidFollowerGain" }).locator("input").uncheck();
    expect((await chart.locator("g.series").count()) === names.length - 1 && (await chart.locator('g.series[data-series="paidFollowerGain"]').count()) === 0,
      "paidFollowerGain still drawn once unchecked");
    await chart.locator(".legend label", { hasText: "paidFollowerGain" }).locator("input").check();

    await s.locator("[data-testid=result]").scrollIntoViewIfNeeded();
    await fitsWidths(page, "getFollowerStatistics-chart", async (width) => {
      // The chart fills its column at each width, no wider.
      const w = await svg.evaluate((e) => ({ svg: e.getBoundingClientRect().width, box: e.parentElement.clientWidth, right: e.getBoundingClientRect().right, page: document.documentElement.clientWidth }));
      expect(w.svg > 200 && w.svg <= w.box + 0.5 && w.right <= w.page, "chart " + JSON.stringify(w));
      expect((await chart.locator("g.series circle").count()) === 30 * names.length, "dots lost on a resize");
      // The result alone, to look at the chart closely.
      await s.locator("[data-testid=result]").screenshot({ path: join(out, `${String(++shotNo).padStart(2, "0")}-getFollowerStatistics-result-${width}px.png`) });
    });
  });

  await step("a datasource asking for openid and w_organization_social shows a warning in its row", async () => {
    await newDatasource("Mixed", ["openid", "w_organization_social"], "mixed-form");
    const warning = rowNamed("Mixed").locator("[data-testid=datasource-warning]");
    await warning.waitFor();
    const text = await warning.textContent();
    expect(/w_organization_social/.test(text), "warning " + text);
    await shot(page, "mixed-warning");
  }, { fatal: true });

  await step("Authorize on the community app comes back refusing openid, and the admin is told", async () => {
    const [back] = await Promise.all([context.waitForEvent("page"), rowNamed("Mixed").getByRole("button", { name: "Authorize" }).click()]);
    watch(back, "returned tab");
    // LinkedIn (the sandbox) shows no consent page: it sends the tab
    // straight back with error=unauthorized_scope_error.
    const banner = back.locator("[data-testid=consent-done] [data-testid=auth-return]");
    await banner.waitFor();
    const said = await banner.textContent();
    console.log(`     returned tab: ${said}`);
    // The code's fixed text at once; the datasource's scopes and the
    // server's warning once the tab (holding the key) has asked for them.
    expect(said.includes("unauthorized_scope_error") && said.includes("LinkedIn refused one of the scopes"), "return tab says " + said);
    await banner.locator("[data-testid=auth-return-warning]").waitFor();
    const detail = await banner.textContent();
    expect(/openid/.test(detail) && /w_organization_social/.test(detail), "no scopes named in " + detail);
    expect(/Keep only the scopes/.test(detail), "no advice in " + detail);
    expect(!back.url().includes("status="), "the return query stays in the address bar");
    await shot(back, "mixed-returned-tab");
    await back.close();
    // The console that asked is told by the returned tab.
    const notice = page.locator("[data-testid=notice]").filter({ hasText: "authorization failed" });
    await notice.waitFor();
    const told = await notice.textContent();
    expect(told.startsWith("Mixed: authorization failed: LinkedIn refused one of the scopes") && told.includes("(unauthorized_scope_error)"), "notice " + told);
    expect(/openid/.test(told) && /w_organization_social/.test(told), "no scopes named in the notice " + told);
    expect(await notice.isVisible(), "notice hidden");
    const status = rowNamed("Mixed").locator("[data-testid=auth-status]");
    expect((await status.getAttribute("data-status")) === "unauthorized", "Mixed is " + (await status.getAttribute("data-status")));
    expect((await rowNamed("Mixed").getByRole("button", { name: "Authorize" }).isEnabled()), "Authorize stays disabled");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.waitForLoadState("networkidle").catch(() => {});
    expect((await status.getAttribute("data-status")) === "unauthorized", "after a refresh Mixed is " + (await status.getAttribute("data-status")));
    await shot(page, "mixed-refused");
  }, { httpErrors: true });

  await step("no token or secret on any page", async () => {
    const html = await page.content();
    expect(!/sandbox-community-secret|sandbox-secret|access_token|"refresh_token"/.test(html), "a secret is on the page");
  });
}
