import { useMemo, useState } from "react";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import type { ErrorSchema } from "@rjsf/utils";
import { api, type Answer, type Command, type Datasource, type Envelope, type FieldError, type Plugin } from "./api";
import { FormBoundary, defaultFormStateBehavior, fieldErrors, leaveOutUntouched, templates, widgets, withOptionWidgets, type FormContext } from "./forms";
import { Result } from "./Result";
import { knownUploadUrl, learn } from "./known";

/** The fields that name who acts, filled with the authorized member by default. */
const memberFields = ["author", "owner", "actor"];

function defaults(c: Command, d: Datasource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = (c.schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const sub = d.authorizedAs?.sub;
  for (const f of memberFields) {
    const p = props[f];
    if (sub && p && p.type === "string" && !p["x-options"]) out[f] = `person:${sub}`;
  }
  return out;
}

/**
 * fillExample is the example's params with what the console knows in place
 * of the example's placeholders: the member (or the page) the form names
 * now, or else the authorized member, for the fields that name who acts;
 * the upload URL of the last Register Media Upload for uploadUrl.
 */
function fillExample(c: Command, d: Datasource, example: Record<string, unknown>, now: Record<string, unknown>): Record<string, unknown> {
  const out = { ...example };
  const known = defaults(c, d);
  for (const f of memberFields) {
    const keep = now[f] || known[f];
    if (typeof keep === "string" && keep) out[f] = keep;
  }
  const url = knownUploadUrl(d.id);
  if ("uploadUrl" in out && url) out.uploadUrl = url;
  return out;
}

export function Commands({ plugin, datasource }: { plugin: Plugin; datasource: Datasource }) {
  const [commandId, setCommandId] = useState(plugin.commands[0]?.id ?? "");
  const command = plugin.commands.find((c) => c.id === commandId);
  return (
    <section className="panel" aria-label="Commands" data-testid="commands">
      <h2>Commands of {datasource.name}</h2>
      <label htmlFor="command">Command</label>
      <select id="command" value={commandId} onChange={(e) => setCommandId(e.target.value)}>
        {plugin.commands.map((c) => (
          <option key={c.id} value={c.id}>
            {c.title} ({c.id})
          </option>
        ))}
      </select>
      {command ? <CommandForm key={command.id} command={command} datasource={datasource} /> : null}
    </section>
  );
}

function CommandForm({ command, datasource }: { command: Command; datasource: Datasource }) {
  const [formData, setFormData] = useState<Record<string, unknown>>(() => defaults(command, datasource));
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer<Envelope> | null>(null);
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>();
  const [other, setOther] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const uiSchema = useMemo(() => withOptionWidgets(command.schema, command.uiSchema), [command]);
  const context: FormContext = useMemo(() => ({ datasourceId: datasource.id, command: command.id }), [datasource.id, command.id]);
  const example = command.examples?.[0];
  const needsUploadUrl = "uploadUrl" in ((command.schema.properties ?? {}) as object);

  const run = async (params: Record<string, unknown>) => {
    setBusy(true);
    setFailure(null);
    setExtraErrors(undefined);
    setOther([]);
    try {
      const a = await api.execute(datasource.id, command.id, leaveOutUntouched(command.schema, params ?? {}), dryRun);
      setAnswer(a);
      if (!dryRun && a.httpStatus === 200 && a.body && !a.body.error) learn(datasource.id, command.id, a.body.output);
      if (a.body?.error?.fields?.length) {
        const { errors, other } = fieldErrors(a.body.error.fields, command.schema);
        setExtraErrors(errors);
        setOther(other);
      }
    } catch (e) {
      setAnswer(null);
      setFailure((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="command" data-command={command.id}>
      <h3>{command.title}</h3>
      {command.description ? <p className="description">{command.description}</p> : null}
      {command.scopes?.length ? (
        <p className="hint">
          {command.scopes.length > 1 ? "Needs one of" : "Needs"} {command.scopes.map((s) => <code key={s}>{s}</code>)}
        </p>
      ) : null}
      {example ? (
        <button type="button" className="secondary" onClick={() => setFormData(fillExample(command, datasource, example.params, formData))}>
          Fill with the example{example.title ? `: ${example.title}` : ""}
        </button>
      ) : null}
      {example && needsUploadUrl && !knownUploadUrl(datasource.id) ? (
        <p className="hint" data-testid="upload-url-hint">
          Run Register Media Upload first: its upload URL takes the place of the example's LinkedIn one.
        </p>
      ) : null}
      <FormBoundary name={command.id}>
        <Form
          schema={command.schema}
          uiSchema={uiSchema}
          validator={validator}
          widgets={widgets}
          templates={templates}
          formContext={context}
          formData={formData}
          onChange={(e) => setFormData(e.formData)}
          onSubmit={(e) => run(e.formData)}
          extraErrors={extraErrors}
          experimental_defaultFormStateBehavior={defaultFormStateBehavior}
          noValidate
          noHtml5Validate
          showErrorList={false}
          idPrefix={"cmd-" + command.id}
        >
          <div className="form-buttons">
            <label className="inline">
              <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} data-testid="dry-run" /> Dry run (send
              nothing, show the request)
            </label>
            <button type="submit" disabled={busy} data-testid="run">
              {busy ? "Running…" : dryRun ? "Dry run" : "Run"}
            </button>
          </div>
        </Form>
      </FormBoundary>
      {other.length ? (
        <ul className="error" role="alert">
          {other.map((f, i) => (
            <li key={i}>
              <code>{f.field || "request"}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      {failure ? (
        <p className="error" role="alert">
          {failure}
        </p>
      ) : null}
      {answer ? <Result answer={answer} /> : null}
    </div>
  );
}
