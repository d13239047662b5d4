/**
 * Detector snapshots: typed arrays as base64 text, so snapshots stay JSON and restore bit-exactly (−0 and NaN payloads
 * included). Little-endian byte order, as on every platform Vigil runs on.
 */

const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 61; // '='
// Base64 is ASCII, which every TextDecoder label decodes as is.
const ascii = new TextDecoder('latin1');

/**
 * Standard base64 with padding (what `btoa` gives), written straight into bytes and decoded once:
 * checkpoints serialize every active series' arrays with it (a few GB/s here, against ~0.1 GB/s
 * through `String.fromCharCode` and `btoa`, which took a quarter of the engine thread's time at
 * 10,000 series: bench/README.md).
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(4 * Math.ceil(n / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = ALPHABET[(v >>> 6) & 63]!;
    out[o++] = ALPHABET[v & 63]!;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (bytes[i]! << 16) | (two ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = two ? ALPHABET[(v >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return ascii.decode(out);
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
