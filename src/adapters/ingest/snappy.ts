/**
 * Snappy block format decoder (the unframed format Prometheus remote_write uses).
 *
 * Written here rather than taken from snappyjs because a request body is untrusted input:
 * snappyjs neither checks that copies stay inside the output nor that the output has the
 * declared length, so a corrupt body decodes into silent garbage. This decoder checks every
 * element and reads the declared length first, so a decompression bomb costs nothing.
 */

/** A corrupt snappy block; `offset` is the byte of the compressed input where it was noticed. */
export class SnappyError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at compressed byte ${offset})`);
    this.name = 'SnappyError';
    this.offset = offset;
  }
}

/** The declared length is above the caller's limit; nothing was decoded. */
export class SnappyTooLargeError extends Error {
  readonly length: number;

  constructor(length: number, limit: number) {
    super(`decoded length ${length} bytes exceeds the limit of ${limit} bytes`);
    this.name = 'SnappyTooLargeError';
    this.length = length;
  }
}

/** Decodes one snappy block; throws SnappyError or SnappyTooLargeError. */
export function decodeSnappyBlock(src: Uint8Array, maxDecodedBytes: number): Buffer {
  const n = src.length;
  let pos = 0;
  let length = 0;
  for (let shift = 1; ; shift *= 128) {
    if (pos >= n) throw new SnappyError('truncated length header', pos);
    if (pos === 5) throw new SnappyError('length header longer than 5 bytes', pos);
    const b = src[pos++]!;
    length += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  if (length > 0xffffffff) throw new SnappyError('declared length does not fit in 32 bits', 0);
  if (length > maxDecodedBytes) throw new SnappyTooLargeError(length, maxDecodedBytes);
  // Every byte of `out` is written below before it can be read (the final length check).
  const out = Buffer.allocUnsafe(length);
  let op = 0;
  while (pos < n) {
    const at = pos;
    const tag = src[pos++]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const bytes = len - 59;
          if (pos + bytes > n) throw new SnappyError('truncated literal length', at);
          len = 0;
          for (let k = bytes - 1; k >= 0; k--) len = len * 256 + src[pos + k]!;
          pos += bytes;
        }
        len += 1;
        if (pos + len > n)
          throw new SnappyError(`literal of ${len} bytes runs past the end of the input`, at);
        if (op + len > length) throw new SnappyError('literal runs past the declared length', at);
        if (len < 32) {
          for (let k = 0; k < len; k++) out[op + k] = src[pos + k]!;
        } else {
          out.set(src.subarray(pos, pos + len), op);
        }
        pos += len;
        op += len;
        continue;
      }
      case 1:
        if (pos + 1 > n) throw new SnappyError('truncated copy', at);
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | src[pos]!;
        pos += 1;
        break;
      case 2:
        if (pos + 2 > n) throw new SnappyError('truncated copy', at);
        len = 1 + (tag >>> 2);
        offset = src[pos]! | (src[pos + 1]! << 8);
        pos += 2;
        break;
      default:
        if (pos + 4 > n) throw new SnappyError('truncated copy', at);
        len = 1 + (tag >>> 2);
        offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24)) >>> 0;
        pos += 4;
        break;
    }
    if (offset === 0 || offset > op) {
      throw new SnappyError(`copy offset ${offset} points outside the ${op} bytes decoded so far`, at);
    }
    if (op + len > length) throw new SnappyError('copy runs past the declared length', at);
    if (offset >= len && len >= 16) {
      out.copyWithin(op, op - offset, op - offset + len);
      op += len;
    } else {
      // Overlapping copies (offset < len) repeat the pattern, so copy byte by byte.
      for (let from = op - offset, end = op + len; op < end; ) out[op++] = out[from++]!;
    }
  }
  if (op !== length) throw new SnappyError(`decoded ${op} bytes but the header declares ${length}`, n);
  return out;
}
