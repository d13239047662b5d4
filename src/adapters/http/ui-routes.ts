/**
 * The web UI (docs/ui.md): the page shell at `/` and its two assets under `/ui/`. They are public
 * like `/docs`: they hold no data; the page asks the JSON API for everything with the user's key.
 *
 * The browser code (src/ui/) is bundled by esbuild in memory on the first request for an asset and
 * kept for the process' life, so neither `npm ci` nor the image needs a build step. esbuild is
 * imported only then: processes that never serve the UI never load it.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One built asset, with its gzip form and a strong ETag. */
interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export interface UiBundle {
  js: Asset;
  css: Asset;
}

const ENTRY = fileURLToPath(new URL('../../ui/main.ts', import.meta.url));

function asset(type: string, text: string): Asset {
  const body = Buffer.from(text);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag };
}

/** Bundles src/ui/main.ts (and the CSS it imports) into one minified script and one style sheet. */
export async function buildUiBundle(): Promise<UiBundle> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    outdir: '/ui',
    logLevel: 'silent',
  });
  const text = (ext: string) => out.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return {
    js: asset('text/javascript; charset=utf-8', text('.js')),
    css: asset('text/css; charset=utf-8', text('.css')),
  };
}

/**
 * The one inline script of the shell, allowed by its hash in the CSP below: on a direct explorer
 * URL naming a series key (the test explorer.ts makes before charting it), it starts that series'
 * GET /api/v1/points at the viewport's width at once, instead of after the bundle has loaded and
 * run, and leaves the request on `window.vigilEarly` for the bundle (src/ui/early.ts). It reads
 * the key from sessionStorage as src/ui/api.ts does: the HTML holds no key or data. A wrong guess
 * costs one unread request.
 */
const EARLY = `(()=>{try{
const [p,q='']=location.hash.replace(/^#\\/?/,'').split('?');
const m=new URLSearchParams(q).get('match');
if(p!=='explore'||m===null||!/^[^{]+\\{.+\\}$/.test(m)||/[=!]~|!=/.test(m))return;
const n=Math.max(300,document.documentElement.clientWidth);
const k=sessionStorage.getItem('vigil.apiKey');
window.vigilEarly={series:m,maxPoints:n,response:fetch('/api/v1/points?'+new URLSearchParams({series:m,maxPoints:String(n)}),{headers:k===null?{}:{authorization:'Bearer '+k}})};
}catch{}})();`;

/** The shell: no inline style, and no inline script but EARLY, so the CSP below forbids others. */
const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil</title>
<link rel="icon" href="data:,">
<script>${EARLY}</script>
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/** uPlot sizes its elements through element.style, which `style-src` does not govern. */
const CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(EARLY).digest('base64')}'`,
  "img-src 'self' data:",
  "style-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply.header('content-type', a.type).header('etag', a.etag).header('cache-control', 'no-cache');
  reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    return reply.header('content-encoding', 'gzip').send(a.gzip);
  }
  return reply.send(a.body);
}

export async function uiRoutes(app: FastifyInstance): Promise<void> {
  let bundle: Promise<UiBundle> | undefined;
  const built = () => {
    // A failed build is not cached: the next request tries again (and logs why).
    bundle ??= buildUiBundle().catch((err: unknown) => {
      bundle = undefined;
      throw err;
    });
    return bundle;
  };
  const route = { config: { scope: 'public' as const }, schema: { hide: true } };
  app.get('/', route, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(SHELL),
  );
  app.get('/ui/app.js', route, async (req, reply) => send(req, reply, (await built()).js));
  app.get('/ui/app.css', route, async (req, reply) => send(req, reply, (await built()).css));
}
