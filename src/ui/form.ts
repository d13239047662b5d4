/**
 * Forms whose errors show at their field: each field row has a label, the control and an error
 * line the control points to (aria-describedby). An API 400 names its field (`pipeline.threshold`);
 * the row whose name is that field, or the longest prefix of it, shows the message.
 */
import { ApiError } from './api.ts';
import { fill, h } from './dom.ts';

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface Field {
  name: string;
  control: Control;
  row: HTMLElement;
  error: HTMLElement;
}

let nextId = 0;

export function field(name: string, label: string, control: Control, hint?: string): Field {
  const id = `f${++nextId}`;
  control.id = id;
  control.name = name;
  const error = h('p', { class: 'error field-error', id: `${id}-error` });
  control.setAttribute('aria-describedby', `${id}-error`);
  const row = h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    control,
    hint !== undefined ? h('span', { class: 'muted' }, hint) : null,
    error,
  );
  return { name, control, row, error };
}

export function clearErrors(fields: Field[], general: HTMLElement): void {
  for (const f of fields) {
    f.control.removeAttribute('aria-invalid');
    fill(f.error);
  }
  fill(general);
}

export function showError(f: Field, message: string): void {
  f.control.setAttribute('aria-invalid', 'true');
  fill(f.error, message);
}

/** Puts `err` at the field it names, else in `general`. */
export function showApiError(err: unknown, fields: Field[], general: HTMLElement): void {
  const message = err instanceof Error ? err.message : String(err);
  // Schema errors name the request part first (`body.pipeline.threshold`); the form is the body.
  const name = err instanceof ApiError ? err.field?.replace(/^body\./, '') : undefined;
  const target =
    name === undefined
      ? undefined
      : fields
          .filter((f) => name === f.name || name.startsWith(`${f.name}.`) || name.startsWith(`${f.name}[`))
          .sort((a, b) => b.name.length - a.name.length)[0];
  if (target !== undefined) showError(target, message);
  else fill(general, h('span', { role: 'alert' }, message));
}

/** The JSON in a textarea, or undefined when it is empty; a parse error shows at its field. */
export function jsonOf(f: Field): unknown {
  const text = f.control.value.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    showError(f, `not JSON: ${(err as Error).message}`);
    throw err;
  }
}
