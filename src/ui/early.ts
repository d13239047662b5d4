/**
 * The points request the page shell starts before this bundle has loaded (the inline script in
 * src/adapters/http/ui-routes.ts): on a direct explorer URL naming a series key, it asks GET
 * /api/v1/points for that key at the viewport's width and leaves the request on
 * `window.vigilEarly`. The explorer's first chart of that series takes it instead of asking again.
 *
 * Contract with the shell's script: `vigilEarly` is `{ series, maxPoints, response }`, where
 * `response` is fetch()'s promise, sent with the same Authorization header api.ts would send.
 */
interface Early {
  series: string;
  maxPoints: number;
  response: Promise<Response>;
}

declare global {
  interface Window {
    vigilEarly?: Early;
  }
}

/**
 * The early request for `series`, once, when it fits a chart `width` pixels wide: at least one
 * point per pixel (the viewport is wider than any chart) and not more than twice that. Otherwise
 * undefined, and the request started early is left unread (a wrong guess costs that request only).
 */
export function takeEarly(series: string, width: number): Promise<Response> | undefined {
  const e = window.vigilEarly;
  if (e === undefined || e.series !== series) return undefined;
  window.vigilEarly = undefined;
  return e.maxPoints >= width && e.maxPoints <= 2 * width ? e.response : undefined;
}
