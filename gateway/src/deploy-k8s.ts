/**
 * The Kubernetes base (`deploy/k8s/base`), generated from the subgraph registry by
 * `npm run compose`: one file per service (the gateway and every subgraph) with its
 * Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler and NetworkPolicy, and
 * the kustomization that lists them with the hand-written `common.yaml` (ConfigMap,
 * default-deny policy, Ingress) and `migrate-job.yaml`. A new subgraph gets its manifests
 * from its `src/subgraph.ts` alone; `gateway/test/k8s.test.ts` renders the overlays and
 * checks every service against the invariants below.
 */
import type { RegisteredSubgraph } from '@switchboard/kit';

/** The Secret every service's secrets are read from (created outside git: docs/operations.md). */
export const SECRET_NAME = 'switchboard-secrets';
export const CONFIG_NAME = 'switchboard-config';
export const IMAGE = 'switchboard';
export const PART_OF = 'switchboard';

/**
 * Graceful termination: preStop waits for the endpoints to drop the pod (PRESTOP_SECONDS),
 * then SIGTERM drains — the gateway delivers in-flight live events (≤ 5 s) and closes sockets
 * with 1001, Apollo's drain lets requests finish (a subgraph fetch times out after
 * SUBGRAPH_TIMEOUT_MS, 10 s). The grace period is longer than all of it.
 */
export const PRESTOP_SECONDS = 10;
export const DRAIN_SECONDS = 5 + 10;
export const TERMINATION_GRACE_SECONDS = 45;

/** Variables that are always secret when a service's env spec reads them. */
const SECRET_VARIABLES = ['INTERNAL_SECRET', 'JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'MONGO_URL', 'METRICS_TOKEN'];
/** Secrets present only while one is rotated (docs/operations.md): referenced as optional keys. */
const OPTIONAL_SECRET_VARIABLES = ['INTERNAL_SECRET_PREVIOUS', 'JWT_SECRET_PREVIOUS'];

export interface K8sService {
  name: string;
  port: number;
  component: 'gateway' | 'subgraph';
  main: string;
  portVariable: string;
  /** Environment variables read from the Secret. */
  secrets: string[];
  /** Read from the Secret when the key is there (rotation). */
  optionalSecrets: string[];
  /** Plain environment (besides the ConfigMap). */
  env: Record<string, string>;
  /** Subgraphs whose internal endpoints this one calls. */
  calls: string[];
  /** Reaches the internet (providers, webhooks). */
  internet: boolean;
  needs: string[];
}

/** What the manifests need to know of each service, from the registry. */
export function k8sServices(subgraphs: RegisteredSubgraph[], gatewayPort: number, gatewayEnvSpec: Record<string, { describe: string }>): K8sService[] {
  const secretsOf = (spec: Record<string, { describe: string }>, extra: string[] = []) =>
    [...new Set([...Object.keys(spec).filter((k) => SECRET_VARIABLES.includes(k) || spec[k]!.describe === 'secret'), ...extra])].sort();
  const gateway: K8sService = {
    name: 'gateway',
    port: gatewayPort,
    component: 'gateway',
    main: 'gateway/src/main.ts',
    portVariable: 'GATEWAY_PORT',
    secrets: secretsOf(gatewayEnvSpec),
    optionalSecrets: OPTIONAL_SECRET_VARIABLES.filter((k) => k in gatewayEnvSpec),
    env: Object.fromEntries(subgraphs.map((s) => [s.urlVariable, `http://${s.name}:${s.port}/graphql`])),
    calls: subgraphs.map((s) => s.name),
    internet: false,
    needs: ['redis'],
  };
  return [
    gateway,
    ...subgraphs.map((s): K8sService => {
      const needs = s.deploy?.needs ?? ['postgres', 'redis'];
      // MONGO_URL is read by a subgraph that needs mongo; without it, it stays optional in the env spec.
      const secrets = secretsOf(s.env as Record<string, { describe: string }>, s.deploy?.secrets).filter((k) => k !== 'MONGO_URL' || needs.includes('mongo'));
      return {
        name: s.name,
        port: s.port,
        component: 'subgraph',
        main: s.main,
        portVariable: s.portVariable,
        secrets,
        optionalSecrets: OPTIONAL_SECRET_VARIABLES.filter((k) => k in s.env),
        // Demo seeding is for the local stack only: never in a cluster.
        // Values meant for the local compose stack; secrets among them come from the Secret instead, never inline.
        env: Object.fromEntries(Object.entries(s.deploy?.env ?? {}).filter(([k]) => k !== 'SEED_DEMO' && !secrets.includes(k))),
        calls: s.deploy?.calls ?? [],
        internet: s.deploy?.internet ?? false,
        needs,
      };
    }),
  ];
}

const labels = (s: { name: string; component: string }) => ({
  'app.kubernetes.io/name': s.name,
  'app.kubernetes.io/component': s.component,
  'app.kubernetes.io/part-of': PART_OF,
});
const selector = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF });
const httpGet = (path: string) => ({ httpGet: { path, port: 'http' } });

/** `switchboard.io/calls-<name>: "true"` marks the pods allowed into <name>'s internal endpoints. */
export const callsLabel = (name: string) => `switchboard.io/calls-${name}`;

const DATA_PORTS: Record<string, number[]> = { postgres: [5432], redis: [6379, 26379], mongo: [27017] };
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];

export function serviceManifests(s: K8sService, all: K8sService[]): object[] {
  const gateway = s.component === 'gateway';
  const podLabels: Record<string, string> = { ...labels(s), ...Object.fromEntries(s.calls.filter(() => !gateway).map((c) => [callsLabel(c), 'true'])) };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: labels(s) },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(s.name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: podLabels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(s.port), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector(s.name) } }],
          containers: [
            {
              name: s.name,
              image: IMAGE,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: CONFIG_NAME } }],
              env: [
                { name: 'SERVICE_MAIN', value: s.main },
                { name: s.portVariable, value: String(s.port) },
                ...Object.entries(s.env).map(([name, value]) => ({ name, value })),
                ...s.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: SECRET_NAME, key: name } } })),
                ...s.optionalSecrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: SECRET_NAME, key: name, optional: true } } })),
              ],
              readinessProbe: { ...httpGet('/readyz'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
              livenessProbe: { ...httpGet('/healthz'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              // Migrations ran in the Job; a start still connects, checks them and seeds nothing.
              startupProbe: { ...httpGet('/healthz'), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
              lifecycle: { preStop: { exec: { command: ['sleep', String(PRESTOP_SECONDS)] } } },
              resources: gateway
                ? { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } }
                : { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, labels: labels(s) },
    spec: { type: 'ClusterIP', selector: selector(s.name), ports: [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' }] },
  };
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: s.name, labels: labels(s) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(s.name) } },
  };
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: s.name, labels: labels(s) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
      minReplicas: 1,
      maxReplicas: gateway ? 20 : 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        // Open sockets per pod, through the Prometheus adapter (deploy/k8s/prometheus-adapter.yaml):
        // a gateway replica holds its sockets until they close, so scale before CPU says so.
        ...(gateway ? [{ type: 'Pods', pods: { metric: { name: 'websocket_connections' }, target: { type: 'AverageValue', averageValue: '5000' } } }] : []),
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
    },
  };
  const tcp = (port: number | string) => ({ protocol: 'TCP', port });
  const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
  const callers = all.filter((o) => o.component === 'subgraph' && o.calls.includes(s.name));
  const ingress = gateway
    ? [
        // Only the ingress controller reaches the gateway; Prometheus scrapes it.
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }], ports: [tcp(s.port)] },
        { from: [prometheus], ports: [tcp(s.port)] },
      ]
    : [
        // The gateway (GraphQL and, for tenants, /internal/principal); subgraphs that use its internal endpoints; Prometheus.
        { from: [{ podSelector: { matchLabels: selector('gateway') } }], ports: [tcp(s.port)] },
        ...(callers.length ? [{ from: [{ podSelector: { matchLabels: { [callsLabel(s.name)]: 'true', 'app.kubernetes.io/part-of': PART_OF } } }], ports: [tcp(s.port)] }] : []),
        { from: [prometheus], ports: [tcp(s.port)] },
      ];
  const dataPorts = [...new Set(s.needs.flatMap((n) => DATA_PORTS[n] ?? []))];
  const egress = [
    { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] },
    // Databases and Redis may be managed services outside the cluster: by port.
    ...(dataPorts.length ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: dataPorts.map(tcp) }] : []),
    // Traces to the OpenTelemetry collector.
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector' } } }], ports: [tcp(4318)] },
    ...(gateway ? all.filter((o) => o.component === 'subgraph') : all.filter((o) => s.calls.includes(o.name))).map((o) => ({ to: [{ podSelector: { matchLabels: selector(o.name) } }], ports: [tcp(o.port)] })),
    ...(s.internet ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES } }], ports: [tcp(443), tcp(80)] }] : []),
  ];
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: s.name, labels: labels(s) },
    spec: { podSelector: { matchLabels: selector(s.name) }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  };
  return [deployment, service, pdb, hpa, policy];
}

/**
 * The migration Job: `npm run migrate` (every subgraph's migrations, in start order) with the
 * secrets of every subgraph. It runs before new pods serve: docs/operations.md deploys it,
 * waits for it to complete, then applies the rest (and it carries the Argo CD / Helm hook
 * annotations for those tools). A Job's template cannot change: it is deleted and recreated
 * each release (`ttlSecondsAfterFinished` cleans it up).
 */
export function migrationManifests(services: K8sService[]): object[] {
  const subgraphs = services.filter((s) => s.component === 'subgraph');
  const secrets = [...new Set(subgraphs.flatMap((s) => s.secrets))].sort();
  const needs = [...new Set(subgraphs.flatMap((s) => s.needs))];
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'migrate',
      labels: { 'app.kubernetes.io/name': 'migrate', 'app.kubernetes.io/component': 'migration', 'app.kubernetes.io/part-of': PART_OF },
      annotations: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation' },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'migrate', 'app.kubernetes.io/component': 'migration', 'app.kubernetes.io/part-of': PART_OF } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'migrate',
              image: IMAGE,
              envFrom: [{ configMapRef: { name: CONFIG_NAME } }],
              env: [
                { name: 'SERVICE_MAIN', value: 'packages/kit/src/migrate-cli.ts' },
                ...secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: SECRET_NAME, key: name } } })),
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
  const dataPorts = [...new Set(needs.flatMap((n) => DATA_PORTS[n] ?? []))];
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'migrate', labels: { 'app.kubernetes.io/name': 'migrate', 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'migrate', 'app.kubernetes.io/part-of': PART_OF } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: dataPorts.map((port) => ({ protocol: 'TCP', port })) },
      ],
    },
  };
  return [job, policy];
}

/** Hand-written parts of the base, listed before the generated ones. */
export const BASE_STATIC = ['common.yaml'];

export function baseKustomization(services: K8sService[]): object {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...BASE_STATIC, 'migrate-job.yaml', ...services.map((s) => `${s.name}.yaml`)],
  };
}

// ------------------------------------------------------------------------------- YAML

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  const s = String(value);
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/** Block-style YAML for plain data (maps, lists, strings, numbers, booleans). */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if ((isObject(item) || Array.isArray(item)) && !isEmpty(item)) {
          const body = toYaml(item, `${indent}  `);
          return `${indent}- ${body.slice(indent.length + 2)}`;
        }
        return `${indent}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}\n`;
      })
      .join('');
  }
  if (isObject(value)) {
    return Object.entries(value)
      .map(([k, v]) => {
        const key = scalar(k);
        if (isEmpty(v)) return `${indent}${key}: ${Array.isArray(v) ? '[]' : '{}'}\n`;
        if (Array.isArray(v)) return `${indent}${key}:\n${toYaml(v, indent)}`;
        if (isObject(v)) return `${indent}${key}:\n${toYaml(v, `${indent}  `)}`;
        return `${indent}${key}: ${scalar(v)}\n`;
      })
      .join('');
  }
  return `${indent}${scalar(value)}\n`;
}

export const GENERATED_HEADER = '# Generated from the subgraph registry by `npm run compose`: do not edit (gateway/src/deploy-k8s.ts).\n';

export function yamlDocuments(objects: object[]): string {
  return GENERATED_HEADER + objects.map((o) => `---\n${toYaml(o)}`).join('');
}
