/**
 * Detector snapshots: typed arrays as base64 text, so snapshots stay JSON and restore bit-exactly (−0 and NaN payloads
 * included). Little-endian byte order, as on every platform Vigil runs on.
 */

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function float64ToBase64(a: Float64Array): string {
  return bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

export function base64ToFloat64(b64: string): Float64Array {
  const bytes = base64ToBytes(b64);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

/** Characters of the base64 text of `bytes` bytes (for declaring state bounds). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}
