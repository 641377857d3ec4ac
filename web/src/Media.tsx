import { useEffect, useState } from "react";
import { api, upload, type Answer, type Datasource, type Envelope, type Option } from "./api";
import { Result } from "./Result";

type Kind = { command: string; who: string; urn: string; category: string };

/** Which upload command takes a file, by its type. */
function kindOf(file: File): Kind {
  if (["image/png", "image/jpeg", "image/gif"].includes(file.type)) {
    return { command: "uploadImage", who: "owner", urn: "image", category: "image" };
  }
  if (file.type.startsWith("video/")) return { command: "uploadVideo", who: "author", urn: "video", category: "video" };
  return { command: "uploadDocument", who: "owner", urn: "document", category: "document" };
}

type Step = "pick" | "uploading" | "processing" | "available" | "posting" | "posted" | "failed";

function statusOf(env: Envelope | null): string {
  const o = (env?.output ?? {}) as Record<string, unknown>;
  if (typeof o.status === "string") return o.status;
  const recipes = o.recipes as { status?: string }[] | undefined;
  return recipes?.[0]?.status ?? "";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The media flow as one path: pick a file, stream it to LinkedIn with a
 * progress bar, wait until LinkedIn has processed it, post with it; then
 * "Post another" starts over with the same author.
 */
export function MediaFlow({ datasource }: { datasource: Datasource }) {
  const connected = datasource.authStatus === "authorized" || datasource.authStatus === "expiring";
  const [owners, setOwners] = useState<Option[]>([]);
  const [owner, setOwner] = useState(datasource.authorizedAs?.sub ? `person:${datasource.authorizedAs.sub}` : "");
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState<Step>("pick");
  const [progress, setProgress] = useState({ sent: 0, total: 0 });
  const [uploaded, setUploaded] = useState<Answer<Envelope> | null>(null);
  const [media, setMedia] = useState("");
  const [status, setStatus] = useState("");
  const [text, setText] = useState("");
  const [title, setTitle] = useState("");
  const [posted, setPosted] = useState<Answer<Envelope> | null>(null);
  const [failure, setFailure] = useState("");
  // The posts made here, newest first, still listed after "Post another".
  const [earlier, setEarlier] = useState<string[]>([]);
  // Changed to empty the file input (a file input cannot be set).
  const [fileKey, setFileKey] = useState(0);

  useEffect(() => {
    if (!connected) return;
    api
      .options(datasource.id, "uploadImage", "owner")
      .then((r) => {
        setOwners(r.options);
        // The member who authorized it, as the server lists them; else the first choice.
        setOwner((o) => (r.options.find((x) => x.value === o || x.value === `urn:li:${o}`) ?? r.options[0])?.value ?? o);
      })
      .catch(() => setOwners([]));
  }, [datasource.id, connected]);

  /** clear forgets the file and all that came of it; the author stays. */
  const clear = () => {
    setStep("pick");
    setProgress({ sent: 0, total: 0 });
    setUploaded(null);
    setMedia("");
    setStatus("");
    setPosted(null);
    setFailure("");
  };

  /** again starts over for another post: the author stays, the rest is emptied. */
  const again = () => {
    clear();
    setFile(null);
    setFileKey((k) => k + 1);
    setText("");
    setTitle("");
  };

  const fail = (msg: string) => {
    setFailure(msg);
    setStep("failed");
  };

  const start = async () => {
    if (!file) return;
    const kind = kindOf(file);
    setFailure("");
    setPosted(null);
    setUploaded(null);
    setMedia("");
    setStatus("");
    setStep("uploading");
    setProgress({ sent: 0, total: file.size });
    try {
      const a = await upload(datasource.id, { command: kind.command, [kind.who]: owner, waitUntilAvailable: "true" }, file, (sent, total) => {
        setProgress({ sent, total });
        if (sent >= total) setStep("processing");
      });
      setUploaded(a);
      if (a.httpStatus >= 400 || a.body?.error) return fail("The upload failed: see its answer below.");
      const out = (a.body?.output ?? {}) as Record<string, string>;
      const urn = out[kind.urn] ?? out.id;
      if (!urn) return fail("The answer names no media URN.");
      setMedia(urn);
      // waitUntilAvailable answers once LinkedIn is done, within the call's
      // time; a long video may still be processing: ask until it is.
      let st = statusOf(a.body);
      setStep("processing");
      for (let i = 0; st !== "AVAILABLE" && i < 90; i++) {
        setStatus(st || "PROCESSING");
        await sleep(2000);
        const s = await api.execute(datasource.id, "getMediaUploadStatus", { mediaCategory: kind.category, mediaId: urn }, false);
        if (s.httpStatus >= 400) return fail(`Checking the status failed: ${s.body?.error?.code}: ${s.body?.error?.message}`);
        st = statusOf(s.body);
        if (st === "PROCESSING_FAILED" || st === "FAILED") return fail(`LinkedIn could not process the file (${st}).`);
      }
      if (st !== "AVAILABLE") return fail("LinkedIn did not finish processing the file in 3 minutes; try Get Media Upload Status later.");
      setStatus(st);
      setStep("available");
    } catch (e) {
      fail((e as Error).message);
    }
  };

  const post = async () => {
    if (!file || !media || status !== "AVAILABLE") return;
    const kind = kindOf(file);
    setStep("posting");
    setFailure("");
    const m: Record<string, string> = { id: media };
    if (title.trim()) m[kind.urn === "image" ? "altText" : "title"] = title.trim();
    const a = await api.execute(datasource.id, "sharePost", { author: owner, commentary: text, media: m }, false).catch((e) => {
      fail((e as Error).message);
      return null;
    });
    if (!a) return;
    setPosted(a);
    if (a.httpStatus >= 400 || a.body?.error) return fail("The post failed: see its answer below; change the text and post again.");
    const id = (a.body?.output as { id?: string } | undefined)?.id;
    if (id) setEarlier((e) => [id, ...e]);
    setStep("posted");
  };

  const pct = progress.total > 0 ? Math.round((100 * progress.sent) / progress.total) : 0;
  const busy = step === "uploading" || step === "processing" || step === "posting";
  const reached = (s: Step) => order.indexOf(step) >= order.indexOf(s);
  const postId = step === "posted" ? (posted?.body?.output as { id?: string } | undefined)?.id : undefined;
  // A file LinkedIn has processed can be posted, again after a failed post.
  const canPost = !!media && status === "AVAILABLE" && (step === "available" || step === "failed");
  const processingStarted = !!media || step === "processing";
  const isImage = !!file && kindOf(file).urn === "image";

  return (
    <section className="panel" aria-label="Post a file" data-testid="media-flow">
      <h2>Post an image, document or video</h2>
      {!connected ? <p className="hint warning">Authorize this datasource first: the upload is sent as the member.</p> : null}
      <ol className="steps">
        <li className={file ? "done" : "active"}>
          <label htmlFor="media-owner">Post as</label>
          {owners.length ? (
            <select id="media-owner" value={owner} onChange={(e) => setOwner(e.target.value)} disabled={busy}>
              {owners.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label} ({o.value})
                </option>
              ))}
            </select>
          ) : (
            <input id="media-owner" value={owner} placeholder="person:ID" onChange={(e) => setOwner(e.target.value)} disabled={busy} />
          )}
          <label htmlFor="media-file">File (PNG, JPEG or GIF image; PDF or Office document; MP4 video)</label>
          <input
            key={fileKey}
            id="media-file"
            type="file"
            accept="image/png,image/jpeg,image/gif,application/pdf,.ppt,.pptx,.doc,.docx,video/mp4"
            disabled={busy}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              clear();
            }}
          />
          <button type="button" onClick={start} disabled={!file || !owner || busy || !connected || step === "posted"} data-testid="upload">
            Upload
          </button>
        </li>
        <li className={reached("processing") && step !== "failed" ? "done" : step === "uploading" ? "active" : ""}>
          Upload{" "}
          <progress max={100} value={pct} aria-label="Upload progress" data-testid="upload-progress">
            {pct}%
          </progress>{" "}
          <span data-testid="upload-percent">{pct}%</span>
          {progress.total ? <span className="hint"> ({progress.sent} of {progress.total} bytes)</span> : null}
        </li>
        <li className={reached("available") && step !== "failed" ? "done" : step === "processing" ? "active" : ""} data-testid="media-processing">
          {processingStarted ? (
            <>
              LinkedIn processes it: <strong data-testid="media-status">{status || "waiting…"}</strong>
            </>
          ) : (
            <>
              LinkedIn processes it <span className="hint">once uploaded; the post can be made when it is <code>AVAILABLE</code>.</span>
            </>
          )}
          {media ? (
            <span className="hint">
              {" "}
              <code data-testid="media-urn">{media}</code>
            </span>
          ) : null}
        </li>
        <li className={step === "posted" ? "done" : step === "available" ? "active" : ""}>
          <label htmlFor="media-text">Text of the post</label>
          <textarea id="media-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} disabled={busy || step === "posted"} />
          <label htmlFor="media-title">{isImage ? "Alt text" : "Title"} (optional)</label>
          <input id="media-title" value={title} onChange={(e) => setTitle(e.target.value)} disabled={busy || step === "posted"} />
          {step === "posted" ? (
            <div className="posted">
              {postId ? (
                <p className="notice" data-testid="posted">
                  Posted: <code>{postId}</code>
                </p>
              ) : null}
              <button type="button" onClick={again} data-testid="post-another">
                Post another
              </button>
            </div>
          ) : (
            <button type="button" onClick={post} disabled={!canPost || busy} data-testid="post">
              Post
            </button>
          )}
        </li>
      </ol>
      {failure ? (
        <p className="error" role="alert">
          {failure}
        </p>
      ) : null}
      {earlier.length > (step === "posted" ? 1 : 0) ? (
        <p className="hint" data-testid="posted-earlier">
          Posted before from here:{" "}
          {earlier.slice(step === "posted" ? 1 : 0).map((id) => (
            <code key={id}>{id}</code>
          ))}
        </p>
      ) : null}
      {uploaded ? <Result answer={uploaded} label="Upload answer" /> : null}
      {posted ? <Result answer={posted} label="Post answer" /> : null}
    </section>
  );
}

const order: Step[] = ["pick", "uploading", "processing", "available", "posting", "posted"];
