// RJSF glue: the server's forms as it declares them, with dynamic
// dropdowns for fields that name a source of choices in x-options, and
// the server's field errors shown on their fields.
import { Component, useEffect, useState, type ReactNode } from "react";
import { getUiOptions, type ErrorSchema, type MultiSchemaFieldTemplateProps, type RegistryWidgetsType, type TemplatesType, type UiSchema, type WidgetProps } from "@rjsf/utils";
import { api, type FieldError, type Option } from "./api";

/** What the widgets need to know about the form they are in. */
export type FormContext = { datasourceId: string; command: string };

/**
 * withOptionWidgets returns uiSchema with the options widget on each
 * top-level field whose schema has x-options (the route takes a top-level
 * field name). A widget the server chose stays.
 */
export function withOptionWidgets(schema: Record<string, unknown>, uiSchema: UiSchema | undefined): UiSchema {
  const ui: UiSchema = { ...(uiSchema ?? {}) };
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, prop] of Object.entries(props)) {
    if (!prop || typeof prop !== "object" || !prop["x-options"]) continue;
    const own = (ui[name] ?? {}) as UiSchema;
    if (own["ui:widget"]) continue;
    ui[name] = { ...own, "ui:widget": "serverOptions", "ui:options": { ...(own["ui:options"] ?? {}), optionsField: name } };
  }
  return ui;
}

/**
 * fieldErrors turns the server's error.fields ("text", "media.0.title")
 * into RJSF's extraErrors; fields the form has no place for (the body,
 * a header) are returned apart, to be shown above the form.
 */
export function fieldErrors(
  fields: FieldError[] | undefined,
  schema: Record<string, unknown>,
): { errors: ErrorSchema; other: FieldError[] } {
  const errors: Record<string, unknown> = {};
  const other: FieldError[] = [];
  for (const f of fields ?? []) {
    const path = f.field.split(".").filter((p) => p !== "");
    if (path.length === 0 || !hasPath(schema, path)) {
      other.push(f);
      continue;
    }
    let node = errors;
    for (const p of path) node = (node[p] ??= {}) as Record<string, unknown>;
    ((node.__errors ??= []) as string[]).push(f.message);
  }
  return { errors: errors as ErrorSchema, other };
}

function hasPath(schema: Record<string, unknown>, path: string[]): boolean {
  let s: Record<string, unknown> | undefined = schema;
  for (const p of path) {
    if (!s) return false;
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    const branch = branchProperty(s, p);
    if (props && props[p]) {
      s = props[p];
    } else if (branch) {
      // A field of a oneOf/anyOf branch (sharePost's content).
      s = branch;
    } else if (/^\d+$/.test(p) && (s.items || s.anyOf || s.oneOf)) {
      s = (s.items as Record<string, unknown>) ?? {};
    } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
      s = s.additionalProperties as Record<string, unknown>;
    } else {
      // anyOf/oneOf or a free-form value: the error belongs to this field.
      return !!(s.anyOf || s.oneOf || s.type === undefined || s.type === "object");
    }
  }
  return true;
}

function branchProperty(s: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  for (const kw of ["oneOf", "anyOf"]) {
    for (const b of (s[kw] as Record<string, unknown>[] | undefined) ?? []) {
      const p = (b?.properties as Record<string, Record<string, unknown>> | undefined)?.[name];
      if (p) return p;
    }
  }
  return undefined;
}

type OptionsState = { loading: boolean; list: Option[]; warning?: string; error?: string };

/** A dropdown filled from GET /v1/datasources/{id}/options/{command}/{field}. */
function ServerOptionsWidget(props: WidgetProps) {
  const { id, value, onChange, onBlur, onFocus, disabled, readonly, required, options, registry, placeholder } = props;
  const ctx = registry.formContext as FormContext;
  const field = String(options.optionsField ?? props.name);
  const [state, setState] = useState<OptionsState>({ loading: true, list: [] });
  useEffect(() => {
    let live = true;
    setState({ loading: true, list: [] });
    api
      .options(ctx.datasourceId, ctx.command, field)
      .then((r) => live && setState({ loading: false, list: r.options, warning: r.warning }))
      .catch((e: Error & { code?: string }) => live && setState({ loading: false, list: [], error: e.message }));
    return () => {
      live = false;
    };
  }, [ctx.datasourceId, ctx.command, field]);
  // A good default: the first choice (the member), when nothing is set.
  useEffect(() => {
    if ((value === undefined || value === "") && state.list.length > 0) onChange(state.list[0].value);
  }, [state.list]); // eslint-disable-line react-hooks/exhaustive-deps

  if (state.loading) {
    return <select id={id} className="form-control" disabled aria-busy="true"><option>Loading choices…</option></select>;
  }
  if (state.list.length === 0) {
    // No choices (not authorized yet, say): type the value instead.
    return (
      <div>
        <input
          id={id}
          type="text"
          className="form-control"
          value={value ?? ""}
          placeholder={placeholder}
          required={required}
          disabled={disabled || readonly}
          onChange={(e) => onChange(e.target.value === "" ? options.emptyValue : e.target.value)}
          onBlur={() => onBlur(id, value)}
          onFocus={() => onFocus(id, value)}
        />
        <p className="hint">No choices to list{state.error ? `: ${state.error}` : ""}; type the value.</p>
      </div>
    );
  }
  const known = state.list.some((o) => o.value === value);
  return (
    <div>
      <select
        id={id}
        className="form-control"
        value={value ?? ""}
        required={required}
        disabled={disabled || readonly}
        onChange={(e) => onChange(e.target.value === "" ? options.emptyValue : e.target.value)}
        onBlur={() => onBlur(id, value)}
        onFocus={() => onFocus(id, value)}
      >
        <option value="">Choose…</option>
        {state.list.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label} ({o.value})
          </option>
        ))}
        {value && !known ? <option value={value}>{value}</option> : null}
      </select>
      {state.warning ? <p className="hint warning">{state.warning}</p> : null}
    </div>
  );
}

export const widgets: RegistryWidgetsType = { serverOptions: ServerOptionsWidget };

/**
 * A oneOf/anyOf choice (sharePost's content): its picker under the label
 * the uiSchema gives in ui:choiceTitle (RJSF shows none for an object's
 * own oneOf), then the chosen branch's fields, without RJSF's panel box.
 */
function ChoiceTemplate({ selector, optionSchemaField, uiSchema }: MultiSchemaFieldTemplateProps) {
  const { choiceTitle, choiceDescription } = getUiOptions(uiSchema);
  return (
    <div className="choice" role="group" aria-label={typeof choiceTitle === "string" ? choiceTitle : undefined}>
      {typeof choiceTitle === "string" ? <label className="control-label">{choiceTitle}</label> : null}
      {typeof choiceDescription === "string" ? <p className="hint">{choiceDescription}</p> : null}
      <div className="form-group">{selector}</div>
      {optionSchemaField}
    </div>
  );
}

export const templates: Partial<TemplatesType> = { MultiSchemaFieldTemplate: ChoiceTemplate };

/** Keeps one form that cannot render from taking the page down. */
export class FormBoundary extends Component<{ name: string; children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidUpdate(prev: { name: string }) {
    if (prev.name !== this.props.name && this.state.error) this.setState({ error: null });
  }
  render() {
    if (this.state.error) {
      return (
        <div className="error" role="alert">
          The form of {this.props.name} could not be rendered: {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}

type Schema = Record<string, unknown>;

/**
 * The behaviour of RJSF's defaults for every form: a choice written as a
 * oneOf of consts (a poll's duration) is not filled with its first value
 * unless the schema gives a default.
 */
export const defaultFormStateBehavior = { constAsDefaults: "skipOneOf" } as const;

/** The schema of an object's property, also when a oneOf/anyOf branch declares it. */
function propertySchema(schema: Schema | undefined, name: string): { schema?: Schema; required: boolean } {
  if (!schema) return { required: false };
  const own = (schema.properties as Record<string, Schema> | undefined)?.[name];
  if (own) return { schema: own, required: ((schema.required as string[] | undefined) ?? []).includes(name) };
  for (const kw of ["oneOf", "anyOf"]) {
    for (const branch of (schema[kw] as Schema[] | undefined) ?? []) {
      const p = (branch?.properties as Record<string, Schema> | undefined)?.[name];
      // A branch that requires its property (sharePost's content) is the
      // user's choice: sending it is the point, so it counts as optional
      // here only in being left out when empty.
      if (p) return { schema: p, required: false };
    }
  }
  return { required: false };
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

/**
 * onlyDefaults says whether an object holds nothing but values its schema
 * gives as defaults: what RJSF fills in for a section nobody touched.
 */
function onlyDefaults(schema: Schema | undefined, v: Record<string, unknown>): boolean {
  return Object.entries(v).every(([k, x]) => {
    const s = propertySchema(schema, k).schema;
    if (s && "default" in s && JSON.stringify(s.default) === JSON.stringify(x)) return true;
    return typeof x === "object" && x !== null && !Array.isArray(x) && onlyDefaults(s, x as Record<string, unknown>);
  });
}

/**
 * leaveOutUntouched is the params a form sends: what the user filled, not
 * what RJSF filled in to render the form. Left out, at any depth: nulls,
 * empty strings, array items that are empty (RJSF adds minItems of them),
 * empty arrays and objects, and an optional object holding only its
 * defaults (an untouched poll's duration). What the schema requires stays,
 * empty or not, for the server to name.
 */
export function leaveOutUntouched(schema: Schema, params: Record<string, unknown>): Record<string, unknown> {
  const out = prune(schema, params, true);
  return (out ?? {}) as Record<string, unknown>;
}

function prune(schema: Schema | undefined, v: unknown, required: boolean): unknown {
  if (Array.isArray(v)) {
    const items = schema?.items as Schema | undefined;
    const kept = v.map((x) => prune(items, x, false)).filter((x) => !isEmpty(x));
    return kept.length === 0 && !required ? undefined : kept;
  }
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = propertySchema(schema, k);
      const kept = prune(p.schema, x, p.required);
      if (kept !== undefined && (p.required || !isEmpty(kept))) out[k] = kept;
    }
    if (!required && (Object.keys(out).length === 0 || onlyDefaults(schema, out))) return undefined;
    return out;
  }
  if (v === null || v === undefined) return undefined;
  if (v === "" && !required) return undefined;
  return v;
}
