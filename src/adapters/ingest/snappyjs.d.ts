/** The slice of snappyjs (no bundled types) that Vigil calls: block-format compression. */
declare module 'snappyjs' {
  export function compress(uncompressed: Uint8Array): Uint8Array;
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}
