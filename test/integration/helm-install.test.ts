/**
 * The Helm chart installed for real into a Kubernetes API server (etcd + kube-apiserver, started by
 * scripts/services/kube.sh; built from the Go module proxy and cached): `helm install`,
 * `helm upgrade` with a changed value (checked in the stored object), `helm uninstall`; and every
 * object the chart renders, for the default values and for GPU detectors with HPAs and PDBs on,
 * sent to the server as `kubectl apply --dry-run=server --validate=strict` does (a dry-run create
 * with strict field validation). No kubelet runs: objects are admitted and stored, no pod starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeObject, kubeClient } from '../helpers/kube.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const helmScript = join(root, 'scripts/helm.sh');
const kubeScript = join(root, 'scripts/services/kube.sh');
const chart = join(root, 'deploy/helm/vigil');
const NS = 'default';

let kubeconfig = '';
let kube: ReturnType<typeof kubeClient>;

function helm(...args: string[]) {
  const r = spawnSync('bash', [helmScript, 'helm', ...args, '--kubeconfig', kubeconfig], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** The chart rendered against the server's version, as JSON objects. */
function render(...sets: string[]): KubeObject[] {
  const t = helm('template', 'vigil', chart, '--namespace', NS, ...sets.flatMap((s) => ['--set', s]));
  if (t.status !== 0) throw new Error(`helm template failed:\n${t.err}`);
  const json = execFileSync('bash', [helmScript, 'k8s-validate', '--json'], {
    input: t.out,
    encoding: 'utf8',
  });
  return JSON.parse(json) as KubeObject[];
}

/** `kubectl apply --dry-run=server --validate=strict` of one object: the status and any message. */
async function dryRun(o: KubeObject) {
  const path = `${await kube.collection(o, NS)}?dryRun=All&fieldValidation=Strict`;
  const r = await kube.send('POST', path, o);
  return { status: r.status, message: String(r.body['message'] ?? '') };
}

async function stored(apiVersion: string, kind: string, name: string) {
  const o = { apiVersion, kind, metadata: { name } };
  return kube.send('GET', `${await kube.collection(o, NS)}/${name}`);
}

beforeAll(() => {
  execFileSync('bash', [helmScript, 'tools'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 1_200_000,
  });
  // Cold: builds kube-apiserver (long, once; see docs/deployment.md); warm: etcd + apiserver in seconds.
  const env = execFileSync('bash', [kubeScript, 'up'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 5_400_000,
  });
  kubeconfig = /KUBECONFIG=(\S+)/.exec(env)![1]!;
  kube = kubeClient(kubeconfig);
}, 6_600_000);

afterAll(() => {
  spawnSync('bash', [kubeScript, 'down'], { cwd: root, stdio: 'inherit' });
});

describe('helm chart against a real kube-apiserver', () => {
  it('installs, upgrades with a changed value, and uninstalls', async () => {
    const install = helm('install', 'vigil', chart, '--namespace', NS);
    expect(install.status, install.err).toBe(0);
    expect(install.out).toMatch(/STATUS: deployed/);
    for (const [apiVersion, kind, name] of [
      ['apps/v1', 'Deployment', 'vigil-api'],
      ['apps/v1', 'Deployment', 'vigil-detector'],
      ['v1', 'ConfigMap', 'vigil-config'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler', 'vigil-api'],
      ['policy/v1', 'PodDisruptionBudget', 'vigil-processor'],
    ] as const) {
      const r = await stored(apiVersion, kind, name);
      expect(r.status, `${kind}/${name}`).toBe(200);
      expect((r.body['metadata'] as { labels: Record<string, string> }).labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
    const hpa = async () =>
      (
        (await stored('autoscaling/v2', 'HorizontalPodAutoscaler', 'vigil-api')).body['spec'] as {
          maxReplicas: number;
        }
      ).maxReplicas;
    expect(await hpa()).toBe(10);

    const upgrade = helm(
      'upgrade',
      'vigil',
      chart,
      '--namespace',
      NS,
      '--set',
      'api.autoscaling.maxReplicas=7',
    );
    expect(upgrade.status, upgrade.err).toBe(0);
    expect(await hpa()).toBe(7);
    const status = helm('status', 'vigil', '--namespace', NS, '-o', 'json');
    expect(JSON.parse(status.out)).toMatchObject({ version: 2, info: { status: 'deployed' } });

    const uninstall = helm('uninstall', 'vigil', '--namespace', NS);
    expect(uninstall.status, uninstall.err).toBe(0);
    expect((await stored('apps/v1', 'Deployment', 'vigil-api')).status).toBe(404);
    expect((await stored('v1', 'ConfigMap', 'vigil-config')).status).toBe(404);
    expect(helm('list', '--namespace', NS, '-q').out.trim()).toBe('');
  });

  for (const [label, sets] of [
    ['the default values', []],
    [
      'GPU detectors, HPAs and PDBs on, training and ingress',
      [
        'detector.gpu.enabled=true',
        'alerter.autoscaling.enabled=true',
        'training.enabled=true',
        'training.gpu.enabled=true',
        'ingress.enabled=true',
      ],
    ],
  ] as const) {
    it(`passes a server-side dry run with strict validation, object by object: ${label}`, async () => {
      const objects = render(...sets);
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap'])
        expect(kinds).toContain(kind);
      if (sets.length > 0) {
        expect(kinds).toContain('CronJob');
        const detector = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'vigil-detector');
        expect(JSON.stringify(detector)).toContain('nvidia.com/gpu');
      }
      const rejected: string[] = [];
      for (const o of objects) {
        const r = await dryRun(o);
        if (r.status !== 201) rejected.push(`${o.kind}/${o.metadata.name}: HTTP ${r.status} ${r.message}`);
      }
      expect(rejected).toEqual([]);
      // A dry run stores nothing.
      expect((await stored('apps/v1', 'Deployment', 'vigil-api')).status).toBe(404);
    });
  }

  it('the dry run rejects a misspelt field, naming it', async () => {
    const deployment = render().find((o) => o.kind === 'Deployment')!;
    const spec = deployment['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } };
    spec.template.spec.containers[0]!['imagePullPolicyy'] = 'Always';
    const r = await dryRun(deployment);
    expect(r.status).toBe(400);
    expect(r.message).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/);
  });
});
