/**
 * The names a model registry accepts besides model names (model.ts checkModelName): aliases,
 * version numbers, tag keys, artifact paths, and the files of a version. Both registry adapters check with these, so a name
 * one accepts the other does too (MLflow's own rules are the stricter ones; we follow them).
 * Pure: every failure is VIGIL_ERR_BAD_MODEL naming the field.
 */

import { VigilError } from '../errors.ts';
import { checkModelName, decodeModelSpec, MODEL_FILE, type ModelSpec } from './model.ts';

const bad = (field: string, msg: string): never => {
  throw new VigilError('VIGIL_ERR_BAD_MODEL', `${field}: ${msg}`, { location: { field } });
};

const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;

/** MLflow's alias rule: 1–255 of letters, digits, `_`, `-`; not `latest`, not `v<digits>` (a version). */
export function checkAlias(alias: string, field = 'alias'): void {
  if (!ALIAS.test(alias)) bad(field, `"${alias}" is not an alias (1–255 of letters, digits, _ -)`);
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    bad(field, `"${alias}" is reserved (latest and v<number> name versions, not aliases)`);
  }
}

/** A version number as the registries print it: "1", "2", … */
export function checkVersion(version: string, field = 'version'): void {
  if (!/^[1-9][0-9]{0,9}$/.test(version)) bad(field, `"${version}" is not a version number (1, 2, …)`);
}

/** Tag keys: 1–250 characters (MLflow's limit), none of them a control character. */
export function checkTagKey(key: string, field = 'tag'): void {
  if (key.length === 0 || key.length > 250 || /[\u0000-\u001f]/.test(key)) {
    bad(field, `${JSON.stringify(key)} is not a tag key (1–250 characters, no control characters)`);
  }
}

/** Tag values: at most 5000 characters (MLflow's limit for model version tags). */
export function checkTagValue(key: string, value: string, field = 'tag'): void {
  if (value.length > 5000) bad(`${field}.${key}`, `value is ${value.length} characters (at most 5000)`);
}

/**
 * A file's path inside an artifact directory: `/`-separated, relative, no empty, `.` or `..`
 * segment, no backslash or control character, at most 1024 characters. So it stays under its
 * directory on every filesystem and means the same in MLflow's artifact store.
 */
export function checkArtifactPath(path: string, field = 'path'): void {
  if (path.length === 0 || path.length > 1024) bad(field, `${JSON.stringify(path)}: 1–1024 characters`);
  if (/[\\\u0000-\u001f]/.test(path))
    bad(field, `${JSON.stringify(path)}: no backslash or control characters`);
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      bad(field, `${JSON.stringify(path)}: must be relative, with no empty, "." or ".." segment`);
    }
  }
}

/**
 * The files of a version to register as `name`: every path checked, `model.json` present, valid and
 * naming `name`. `where` (a directory, a URI) prefixes the path in errors. Returns the spec.
 */
export function checkModelFiles(
  name: string,
  files: ReadonlyMap<string, Uint8Array>,
  where: string,
): ModelSpec {
  for (const path of files.keys()) checkArtifactPath(path, `${where}/${path}`);
  const bytes = files.get(MODEL_FILE);
  if (bytes === undefined) bad(`${where}/${MODEL_FILE}`, 'missing (a model directory must hold model.json)');
  const spec = decodeModelSpec(bytes as Uint8Array, `${where}/${MODEL_FILE}`);
  if (spec.name !== name) {
    bad(`${where}/${MODEL_FILE}`, `name is "${spec.name}", but it is being registered as "${name}"`);
  }
  return spec;
}

/** Every key and value of `tags` checked (checkTagKey, checkTagValue), errors naming `field`. */
export function checkTags(tags: Readonly<Record<string, string>>, field = 'tag'): void {
  for (const [k, v] of Object.entries(tags)) {
    checkTagKey(k, field);
    checkTagValue(k, v, field);
  }
}

/**
 * What both registries check before registering a new version of `name`: the name, the files
 * (checkModelFiles) and the version's tags. Returns a copy of the tags to store.
 */
export function checkNewVersion(
  name: string,
  files: ReadonlyMap<string, Uint8Array>,
  tags: Readonly<Record<string, string>> = {},
): Record<string, string> {
  checkModelName(name);
  checkModelFiles(name, files, `model ${name} (new version)`);
  checkTags(tags);
  return { ...tags };
}

/** A model reference on the command line: `NAME`, `NAME@ALIAS` or `NAME:VERSION`. */
export interface ModelRefText {
  name: string;
  alias?: string;
  version?: string;
}

/** Parses `NAME`, `NAME@ALIAS` or `NAME:VERSION`, checking each part (VIGIL_ERR_BAD_MODEL naming `field`). */
export function parseModelRefText(text: string, field = 'model'): ModelRefText {
  const at = text.indexOf('@');
  const colon = text.indexOf(':');
  if (at >= 0 && colon >= 0) bad(field, `"${text}": give NAME@ALIAS or NAME:VERSION, not both`);
  if (at >= 0) {
    const ref = { name: text.slice(0, at), alias: text.slice(at + 1) };
    checkModelName(ref.name, field);
    checkAlias(ref.alias, field);
    return ref;
  }
  if (colon >= 0) {
    const ref = { name: text.slice(0, colon), version: text.slice(colon + 1) };
    checkModelName(ref.name, field);
    checkVersion(ref.version, field);
    return ref;
  }
  checkModelName(text, field);
  return { name: text };
}
