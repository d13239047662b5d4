/**
 * The Helm chart (deploy/helm/vigil), with no cluster: `helm lint`, then `helm template` under
 * several value sets, each render decoded strictly against the Kubernetes API types by
 * deploy/tools/k8s-validate (which must pass), and assertions on the rendered objects (the
 * validator's --json output): every role with its minimum replicas, sizing, autoscaling and
 * disruption budgets, probes, pod security, and the GPU only when asked for. The tools are built by
 * scripts/helm.sh from the Go module proxy on first use (minutes, once; then cached).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/helm.sh');

// Loose shapes of the rendered objects: only what the assertions read.
interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  envFrom?: { secretRef?: { name: string } }[];
  env?: Record<string, unknown>[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  failureThreshold?: number;
  periodSeconds?: number;
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext: Record<string, unknown>;
    nodeSelector?: Record<string, string>;
    tolerations?: { key?: string }[];
    terminationGracePeriodSeconds?: number;
    volumes: { name: string; emptyDir?: object; configMap?: { name: string } }[];
  };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function helm(args: string[], input?: string) {
  return spawnSync('bash', [script, ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
}

/** Renders the chart with `--set` values, validates the render, and returns its objects. */
function render(...sets: string[]): K8sObject[] {
  const t = helm(['template', ...sets.flatMap((s) => ['--set', s])]);
  if (t.status !== 0) throw new Error(`helm template ${sets.join(' ')} failed:\n${t.stderr}`);
  const v = helm(['k8s-validate', '--json'], t.stdout);
  if (v.status !== 0) throw new Error(`k8s-validate rejected the render of ${sets.join(' ')}:\n${v.stderr}`);
  return JSON.parse(v.stdout) as K8sObject[];
}

const find = (objects: K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not rendered (have ${ids(objects).join(', ')})`);
  return o;
};
const ids = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const podOf = (o: K8sObject): PodTemplate => {
  const spec = o.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } };
  return spec.jobTemplate?.spec.template ?? spec.template!;
};
const containerOf = (o: K8sObject) => podOf(o).spec.containers[0]!;
const hasGpu = (o: K8sObject) => JSON.stringify(podOf(o)).includes('nvidia.com/gpu');

/** The sizing: requests = limits (Guaranteed QoS), replicas at least this many. */
const roles = {
  api: { cpu: '2', memory: '4Gi', min: 2 },
  processor: { cpu: '4', memory: '8Gi', min: 3 },
  detector: { cpu: '4', memory: '16Gi', min: 2 },
} as const;

let defaults: K8sObject[];
let gpu: K8sObject[];
let trained: K8sObject[];

beforeAll(() => {
  // Builds helm and the validator on a cold machine (minutes, once); instant when cached.
  execFileSync('bash', [script, 'tools'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 1_200_000,
  });
  defaults = render();
  // Training is on by default; the checks of its job say so explicitly.
  trained = render('training.enabled=true');
  gpu = render('training.enabled=true', 'detector.gpu.enabled=true');
}, 1_260_000);

describe('helm chart deploy/helm/vigil', () => {
  it('deploys the Vigil version of this checkout by default', () => {
    const chart = readFileSync(join(root, 'deploy/helm/vigil/Chart.yaml'), 'utf8');
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(/^appVersion:\s*"?([^"\s]+)"?/m.exec(chart)?.[1]).toBe(version);
    expect(containerOf(find(defaults, 'Deployment', 'vigil-api')).image).toBe(`vigil:${version}`);
  });

  it('passes helm lint --strict, with and without the GPU', () => {
    for (const sets of [[], ['--set', 'detector.gpu.enabled=true']]) {
      const r = helm(['lint', ...sets]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  it('renders every role, with the objects each needs', () => {
    expect(ids(defaults)).toEqual(
      [
        'ConfigMap/vigil-config',
        'CronJob/vigil-train',
        'Deployment/vigil-alerter',
        'Deployment/vigil-api',
        'Deployment/vigil-detector',
        'Deployment/vigil-processor',
        'HorizontalPodAutoscaler/vigil-api',
        'HorizontalPodAutoscaler/vigil-detector',
        'HorizontalPodAutoscaler/vigil-processor',
        'PodDisruptionBudget/vigil-alerter',
        'PodDisruptionBudget/vigil-api',
        'PodDisruptionBudget/vigil-detector',
        'PodDisruptionBudget/vigil-processor',
        'Secret/vigil-connections',
        'Service/vigil-api',
        'ServiceAccount/vigil',
      ].sort(),
    );
    for (const o of defaults) expect(o.metadata.labels?.['app.kubernetes.io/instance'], o.kind).toBe('vigil');
    expect(ids(trained)).toContain('CronJob/vigil-train');
  });

  it('keeps each role at its minimum replicas: by HPA (autoscaling/v2) by default, by the Deployment without one', () => {
    for (const [role, want] of Object.entries(roles)) {
      const hpa = find(defaults, 'HorizontalPodAutoscaler', `vigil-${role}`);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      const spec = hpa.spec as { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } };
      expect(spec.scaleTargetRef.name).toBe(`vigil-${role}`);
      expect(spec.minReplicas).toBeGreaterThanOrEqual(want.min);
      expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
      // With an HPA the Deployment leaves replicas alone, so helm upgrade does not reset the count.
      expect(find(defaults, 'Deployment', `vigil-${role}`).spec!['replicas']).toBeUndefined();
    }
    const fixed = render(...Object.keys(roles).map((r) => `${r}.autoscaling.enabled=false`));
    for (const [role, want] of Object.entries(roles)) {
      expect(find(fixed, 'Deployment', `vigil-${role}`).spec!['replicas']).toBeGreaterThanOrEqual(want.min);
    }
    expect(fixed.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('limits voluntary disruption of every long-running role (policy/v1 PDB over its own pods)', () => {
    for (const role of Object.keys(roles)) {
      const pdb = find(defaults, 'PodDisruptionBudget', `vigil-${role}`);
      expect(pdb.apiVersion).toBe('policy/v1');
      const spec = pdb.spec as { selector: { matchLabels: Record<string, string> } };
      expect(spec.selector.matchLabels['app.kubernetes.io/component']).toBe(role);
      expect(podOf(find(defaults, 'Deployment', `vigil-${role}`)).metadata.labels).toMatchObject(
        spec.selector.matchLabels,
      );
    }
  });

  it('runs `vigil alerter` as one active replica and a standby, without an HPA, one pod down at a time', () => {
    const alerter = find(defaults, 'Deployment', 'vigil-alerter');
    expect(alerter.spec!['replicas']).toBe(2);
    expect(containerOf(alerter).args.slice(0, 3)).toEqual(['alerter', '--config', '/etc/vigil/config.json']);
    expect(
      defaults.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'vigil-alerter'),
    ).toBe(false);
    const pdb = find(defaults, 'PodDisruptionBudget', 'vigil-alerter');
    expect(pdb.spec).toMatchObject({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/component': 'alerter' } },
    });
  });

  it('sizes each role as the reference deployment does', () => {
    const train = containerOf(find(trained, 'CronJob', 'vigil-train'));
    for (const [container, want] of [
      ...Object.entries(roles).map(
        ([r, w]) => [containerOf(find(defaults, 'Deployment', `vigil-${r}`)), w] as const,
      ),
      [train, { cpu: '8', memory: '32Gi' }] as const,
    ]) {
      expect(container.resources.requests, container.name).toEqual({ cpu: want.cpu, memory: want.memory });
      expect(container.resources.limits, container.name).toEqual({ cpu: want.cpu, memory: want.memory });
    }
  });

  it('runs `vigil <role> --config` from the ConfigMap, with connections from the Secret', () => {
    for (const [kind, name, role] of [
      ['Deployment', 'vigil-api', 'api'],
      ['Deployment', 'vigil-processor', 'processor'],
      ['Deployment', 'vigil-detector', 'detector'],
      ['CronJob', 'vigil-train', 'train'],
    ] as const) {
      const pod = podOf(find(trained, kind, name));
      const c = pod.spec.containers[0]!;
      expect(c.args.slice(0, 3)).toEqual([role, '--config', '/etc/vigil/config.json']);
      expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 8080 })]);
      expect(c.envFrom).toEqual([{ secretRef: { name: 'vigil-connections' } }]);
      const mount = c.volumeMounts.find((m) => m.mountPath === '/etc/vigil');
      expect(mount?.readOnly).toBe(true);
      expect(pod.spec.volumes.find((v) => v.name === mount!.name)?.configMap?.name).toBe('vigil-config');
      if (kind === 'Deployment') {
        expect(pod.metadata.annotations).toMatchObject({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '8080',
          'prometheus.io/path': '/metrics',
        });
      } else {
        // The training job serves no /metrics.
        expect(pod.metadata.annotations?.['prometheus.io/scrape']).toBeUndefined();
      }
      expect(pod.metadata.annotations?.['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('runs the real `vigil train` against the api Service, into MLflow, failing at once only where a retry cannot help', () => {
    const job = find(defaults, 'CronJob', 'vigil-train').spec as {
      jobTemplate: {
        spec: { podFailurePolicy: { rules: { action: string; onExitCodes: { values: number[] } }[] } };
      };
    };
    const c = containerOf(find(defaults, 'CronJob', 'vigil-train'));
    expect(c.args).toEqual([
      'train',
      '--config',
      '/etc/vigil/config.json',
      '--model',
      'default',
      '--selector',
      '{__name__=~".+"}',
      '--budget',
      '16',
      '--url',
      'http://vigil-api:8080',
      '--candidate-exit-code',
      '0',
      '--no-progress',
      '--from',
      '30d',
    ]);
    expect(c.env).toContainEqual({ name: 'VIGIL_MODEL_REGISTRY', value: 'mlflow' });
    expect(job.jobTemplate.spec.podFailurePolicy.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'train', operator: 'In', values: [2, 3] } },
    ]);
    const custom = render(
      'training.model=cpu',
      'training.url=http://vigil.example:80',
      'training.candidateExitCode=10',
      'training.apiKeySecret.name=train-key',
      'connections.mlflowUrl=http://mlflow:5000',
    );
    const cc = containerOf(find(custom, 'CronJob', 'vigil-train'));
    expect(cc.args).toEqual(expect.arrayContaining(['cpu', 'http://vigil.example:80']));
    expect(cc.env).toContainEqual({
      name: 'VIGIL_API_KEY',
      valueFrom: { secretKeyRef: { name: 'train-key', key: 'VIGIL_API_KEY' } },
    });
    const rules = (find(custom, 'CronJob', 'vigil-train').spec as typeof job).jobTemplate.spec
      .podFailurePolicy.rules;
    expect(rules[0]!.onExitCodes.values).toEqual([2, 3, 10]);
    expect(find(custom, 'Secret', 'vigil-connections').stringData).toMatchObject({
      VIGIL_MLFLOW_URL: 'http://mlflow:5000',
    });
    expect(helm(['template', '--set', 'training.model=bad name']).status).not.toBe(0);
    // The rendered config.json is one Vigil itself accepts.
    const config = JSON.parse(find(defaults, 'ConfigMap', 'vigil-config').data!['config.json']!);
    expect(validateConfig(config)).toMatchObject({ http: { port: 8080 } });
  });

  it('probes liveness on /healthz and readiness on /readyz; detectors get a long startup probe', () => {
    for (const role of Object.keys(roles)) {
      const c = containerOf(find(defaults, 'Deployment', `vigil-${role}`));
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    }
    const startup = containerOf(find(defaults, 'Deployment', 'vigil-detector')).startupProbe!;
    expect(startup.httpGet).toEqual({ path: '/healthz', port: 'http' });
    // Recovery (state restore + replay) gets at least 5 minutes before liveness may kill the pod.
    expect(startup.failureThreshold! * startup.periodSeconds!).toBeGreaterThanOrEqual(300);
    // `vigil train` is a batch command without a server: nothing to probe.
    const train = containerOf(find(trained, 'CronJob', 'vigil-train'));
    expect(train.livenessProbe).toBeUndefined();
    expect(train.readinessProbe).toBeUndefined();
  });

  it('gives the consumer-group roles time to drain, checkpoint and leave the group on SIGTERM', () => {
    const grace = (role: string) =>
      podOf(find(defaults, 'Deployment', `vigil-${role}`)).spec.terminationGracePeriodSeconds!;
    expect(grace('api')).toBeGreaterThanOrEqual(30);
    expect(grace('processor')).toBeGreaterThanOrEqual(60);
    expect(grace('detector')).toBeGreaterThanOrEqual(grace('processor'));
  });

  it('runs every pod as non-root with a read-only root filesystem and no capabilities', () => {
    for (const o of trained.filter((x) => x.kind === 'Deployment' || x.kind === 'CronJob')) {
      const pod = podOf(o);
      expect(pod.spec.securityContext, o.metadata.name).toMatchObject({ runAsNonRoot: true });
      expect(pod.spec.securityContext['runAsUser']).toBeGreaterThan(0);
      for (const c of pod.spec.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(c.securityContext.capabilities?.drop).toEqual(['ALL']);
        // Writable scratch space is an emptyDir, since the root filesystem is not.
        const tmp = c.volumeMounts.find((m) => m.mountPath === '/tmp');
        expect(pod.spec.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      }
    }
  });

  it('requests a GPU, GPU nodes and their taint only for detectors, and only when detector.gpu.enabled', () => {
    for (const o of trained)
      if (o.spec?.['template'] || o.kind === 'CronJob') expect(hasGpu(o), o.metadata.name).toBe(false);
    const detector = find(gpu, 'Deployment', 'vigil-detector');
    const pod = podOf(detector);
    expect(containerOf(detector).resources.limits).toEqual({
      cpu: '4',
      memory: '16Gi',
      'nvidia.com/gpu': '1',
    });
    expect(pod.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.spec.tolerations?.map((t) => t.key)).toEqual(['nvidia.com/gpu']);
    for (const name of ['vigil-api', 'vigil-processor'])
      expect(hasGpu(find(gpu, 'Deployment', name))).toBe(false);
    expect(hasGpu(find(gpu, 'CronJob', 'vigil-train'))).toBe(false);
  });

  it('renders the optional parts when asked: one-off training Job, Ingress, existing Secret, connections', () => {
    const objects = render(
      'training.enabled=true',
      'training.schedule=',
      'ingress.enabled=true',
      'ingress.className=example',
      'connections.existingSecret=prod-vigil',
    );
    expect(find(objects, 'Job', 'vigil-train-1')).toBeDefined();
    expect(objects.some((o) => o.kind === 'CronJob' || o.kind === 'Secret')).toBe(false);
    const ingress = find(objects, 'Ingress', 'vigil').spec as {
      ingressClassName: string;
      rules: { http: { paths: { backend: { service: { name: string } } }[] } }[];
    };
    expect(ingress.ingressClassName).toBe('example');
    expect(ingress.rules[0]!.http.paths[0]!.backend.service.name).toBe('vigil-api');
    expect(containerOf(find(objects, 'Deployment', 'vigil-processor')).envFrom).toEqual([
      { secretRef: { name: 'prod-vigil' } },
    ]);

    const secret = find(
      render('connections.kafkaBrokers=k1:9092\\,k2:9092', 'connections.pgUrl=postgres://p/v'),
      'Secret',
      'vigil-connections',
    );
    expect(secret.stringData).toEqual({
      VIGIL_KAFKA_BROKERS: 'k1:9092,k2:9092',
      VIGIL_PG_URL: 'postgres://p/v',
    });
    expect(ids(render('training.enabled=false'))).not.toContain('CronJob/vigil-train');
  });

  it('rejects misspelt or malformed values (values.schema.json)', () => {
    const typo = helm(['template', '--set', 'detector.gpu.enable=true']);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/enable/);
    const malformed = helm(['template', '--set', 'processor.pdb.maxUnavailable=one']);
    expect(malformed.status).not.toBe(0);
    expect(malformed.stderr).toMatch(/maxUnavailable/);
  });
});

describe('deploy/tools/k8s-validate', () => {
  const deployment = (containerExtra: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers:
        - name: demo
          image: demo:1
${containerExtra}
`;
  const validate = (yaml: string) => helm(['k8s-validate'], yaml);

  it('accepts a valid object', () => {
    const r = validate(deployment(''));
    expect(r.status, r.stderr).toBe(0);
  });

  it('fails on a misspelt field, naming the object and the field', () => {
    const r = validate(deployment('          imagePullPolicyy: Always'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Deployment/broken');
    expect(r.stderr).toContain('spec.template.spec.containers[0].imagePullPolicyy');
  });

  it('fails on a wrong type, an unknown kind, and a Service that selects nothing', () => {
    const wrongType = validate(deployment('          ports: [{containerPort: "eighty"}]'));
    expect(wrongType.status).toBe(1);
    expect(wrongType.stderr).toMatch(/Deployment\/broken: .*containerPort/);

    const unknownKind = validate('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
    expect(unknownKind.status).toBe(1);
    expect(unknownKind.stderr).toMatch(/Widget\/w: no kind "Widget" is registered/);

    const orphan = validate(
      `${deployment('')}---\napiVersion: v1\nkind: Service\nmetadata: {name: lonely}\nspec:\n  selector: {app: nobody}\n  ports: [{port: 80}]\n`,
    );
    expect(orphan.status).toBe(1);
    expect(orphan.stderr).toMatch(/Service\/lonely: spec.selector: .* selects no rendered pod template/);
  });
});
