/**
 * A minimal client of the API server scripts/services/kube.sh starts: requests signed with its
 * admin client certificate, and the resource path of a kind found through the server's discovery
 * (what kubectl does), so a test can send any rendered object to the real server.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface KubeResponse {
  status: number;
  body: Record<string, unknown>;
}

interface ResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** A client for the server of a kubeconfig written by scripts/services/kube.sh. */
export function kubeClient(kubeconfig: string) {
  const text = readFileSync(kubeconfig, 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`${name}: (\\S+)`).exec(text);
    if (m === null) throw new Error(`${kubeconfig} has no ${name}`);
    return m[1]!;
  };
  const server = new URL(field('server'));
  const ca = readFileSync(field('certificate-authority'));
  const cert = readFileSync(field('client-certificate'));
  const key = readFileSync(field('client-key'));

  const send = (method: string, path: string, body?: unknown) =>
    new Promise<KubeResponse>((resolveResponse, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: server.hostname,
          port: server.port,
          path,
          method,
          ca,
          cert,
          key,
          headers: { accept: 'application/json', 'content-type': 'application/json' },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            data += chunk;
          });
          res.on('end', () =>
            resolveResponse({
              status: res.statusCode ?? 0,
              body: data === '' ? {} : (JSON.parse(data) as Record<string, unknown>),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const discovery = new Map<string, ResourceList>();
  /** The collection path of an object's kind in a namespace (discovery, cached per group/version). */
  const collection = async (o: KubeObject, namespace: string) => {
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    let list = discovery.get(base);
    if (list === undefined) {
      const r = await send('GET', base);
      if (r.status !== 200) throw new Error(`discovery of ${o.apiVersion}: HTTP ${r.status}`);
      list = r.body as unknown as ResourceList;
      discovery.set(base, list);
    }
    const resource = list.resources.find((x) => x.kind === o.kind && !x.name.includes('/'));
    if (resource === undefined) throw new Error(`the server serves no ${o.kind} in ${o.apiVersion}`);
    return resource.namespaced
      ? `${base}/namespaces/${namespace}/${resource.name}`
      : `${base}/${resource.name}`;
  };

  return { send, collection };
}
