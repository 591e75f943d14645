import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRegistry, REPOSITORY_ROOT } from '@switchboard/kit';
import { callsLabel, DRAIN_SECONDS, PRESTOP_SECONDS, SECRET_NAME } from '../src/deploy-k8s';
import { strayK8sFiles } from '../src/deploy';
import { kustomizeLite, parseRendered, type K8sObject } from './kustomize-lite';

/**
 * deploy/k8s: both overlays render (with `kubectl kustomize` where it is installed, and always
 * with the npm-free kustomize-lite; where both run they must agree), and every service — the
 * gateway and every subgraph folder under subgraphs/, found on disk rather than through the
 * generator — has its Deployment, Service, PDB, HPA and NetworkPolicy with the invariants.
 */
const K8S = path.join(REPOSITORY_ROOT, 'deploy/k8s');
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// eslint-disable-next-line no-console
console.info(`deploy/k8s rendered with ${kubectl ? '`kubectl kustomize` and kustomize-lite (compared)' : 'kustomize-lite only (kubectl is not installed)'}`);

/** Every subgraph folder on disk, with its default port from its src/subgraph.ts (read as text: no registry involved). */
const onDisk = readdirSync(path.join(REPOSITORY_ROOT, 'subgraphs'))
  .filter((d) => existsSync(path.join(REPOSITORY_ROOT, 'subgraphs', d, 'src/subgraph.ts')))
  .map((d) => d);
const registry = loadRegistry();
const services = [{ name: 'gateway', port: 4000 }, ...onDisk.map((d) => ({ name: d, port: registry.find((s) => s.name === d)?.port ?? -1 }))];

const rendered: Record<string, K8sObject[]> = {};
for (const overlay of ['dev', 'prod']) {
  const dir = path.join(K8S, 'overlays', overlay);
  rendered[overlay] = kustomizeLite(dir);
}
const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe.each(['dev', 'prod'])('deploy/k8s/overlays/%s', (overlay) => {
  const objects = () => rendered[overlay]!;

  (kubectl ? it : it.skip)('renders with `kubectl kustomize` exactly as kustomize-lite does', () => {
    const out = execFileSync('kubectl', ['kustomize', path.join(K8S, 'overlays', overlay)], { encoding: 'utf8' });
    const real = parseRendered(out);
    expect(real.map(key).sort()).toEqual(objects().map(key).sort());
    const byKey = new Map(objects().map((o) => [key(o), o]));
    for (const o of real) expect({ key: key(o), object: o }).toEqual({ key: key(o), object: byKey.get(key(o)) });
  });

  it('has every subgraph folder and the gateway, with nothing left over from a removed one', () => {
    expect(onDisk.length).toBeGreaterThanOrEqual(7);
    for (const s of services) expect({ service: s.name, port: s.port }).not.toEqual({ service: s.name, port: -1 });
    const deployments = objects().filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    expect(deployments).toEqual(services.map((s) => s.name).sort());
    expect(strayK8sFiles(registry)).toEqual([]);
  });

  it.each(services)('$name: probes, resources, a locked-down pod, graceful termination, secrets by reference', ({ name, port }) => {
    const d = find(objects(), 'Deployment', name)!;
    expect(d).toBeDefined();
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.ports).toContainEqual({ name: 'http', containerPort: port, protocol: 'TCP' });
    for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) expect(c.resources[kind][r]).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(PRESTOP_SECONDS + DRAIN_SECONDS);
    expect(c.image).toMatch(overlay === 'prod' ? /^ghcr\.io\/switchboard\/switchboard:1\.0\.0$/ : /:dev$/);
    const env = new Map<string, any>(c.env.map((e: any) => [e.name, e]));
    const secret = (v: string) => env.get(v)?.valueFrom?.secretKeyRef;
    for (const v of ['INTERNAL_SECRET', 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN']) {
      if (name === 'gateway' && v === 'DATABASE_URL') continue;
      expect({ v, ref: secret(v) }).toEqual({ v, ref: { name: SECRET_NAME, key: v } });
    }
    if (name === 'gateway' || name === 'tenants') expect(secret('JWT_SECRET')).toEqual({ name: SECRET_NAME, key: 'JWT_SECRET' });
    if (name === 'models') expect(secret('PROVIDER_KEY_ENCRYPTION_KEY')).toEqual({ name: SECRET_NAME, key: 'PROVIDER_KEY_ENCRYPTION_KEY' });
    if (name === 'conversations') expect(secret('MONGO_URL')).toEqual({ name: SECRET_NAME, key: 'MONGO_URL' });
    expect(env.get('SEED_DEMO')).toBeUndefined();
    if (overlay === 'prod') expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it.each(services)('$name: a Service, a PodDisruptionBudget and an HPA on its pods', ({ name, port }) => {
    const d = find(objects(), 'Deployment', name)!;
    const podLabels = d.spec.template.metadata.labels;
    const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    const svc = find(objects(), 'Service', name)!;
    expect(selects(svc.spec.selector)).toBe(true);
    expect(svc.spec.ports).toContainEqual(expect.objectContaining({ port, targetPort: 'http' }));
    const pdb = find(objects(), 'PodDisruptionBudget', name)!;
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    const hpa = find(objects(), 'HorizontalPodAutoscaler', name)!;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec.metrics).toContainEqual({ type: 'Resource', resource: { name: 'cpu', target: expect.objectContaining({ type: 'Utilization' }) } });
    if (name === 'gateway') expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Pods', pods: expect.objectContaining({ metric: { name: 'websocket_connections' } }) }));
    if (overlay === 'prod') {
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(pdb.spec.minAvailable).toBe(1);
    }
  });

  it.each(services)('$name: a NetworkPolicy — only the ingress reaches the gateway, only the gateway (and declared callers) a subgraph', ({ name, port }) => {
    const np = find(objects(), 'NetworkPolicy', name)!;
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe(name);
    const peers = np.spec.ingress.flatMap((r: any) => r.from);
    for (const rule of np.spec.ingress) expect(rule.ports).toEqual([{ protocol: 'TCP', port }]);
    const fromPods = peers.filter((p: any) => !p.namespaceSelector).map((p: any) => p.podSelector.matchLabels);
    const fromNamespaces = peers.filter((p: any) => p.namespaceSelector).map((p: any) => p.namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
    if (name === 'gateway') {
      expect(fromPods).toEqual([]);
      expect(fromNamespaces.sort()).toEqual(['ingress-nginx', 'monitoring']);
      // The gateway reaches every subgraph's port.
      for (const s of services.filter((x) => x.name !== 'gateway')) {
        expect(np.spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': s.name }) } }], ports: [{ protocol: 'TCP', port: s.port }] });
      }
    } else {
      expect(fromNamespaces).toEqual(['monitoring']);
      expect(fromPods[0]).toMatchObject({ 'app.kubernetes.io/name': 'gateway' });
      for (const p of fromPods.slice(1)) expect(Object.keys(p)).toContain(callsLabel(name));
    }
  });

  it('lets a subgraph reach another one only when its `deploy.calls` names it, and labels no other', () => {
    const targets = [...new Set(registry.flatMap((s) => s.deploy?.calls ?? []))];
    expect(targets.length).toBeGreaterThan(0); // integrations calls conversations, tenants and tickets
    for (const target of targets) {
      const callers = registry.filter((s) => s.deploy?.calls?.includes(target)).map((s) => s.name);
      const policy = find(objects(), 'NetworkPolicy', target)!;
      expect(policy.spec.ingress.flatMap((r: any) => r.from)).toContainEqual({ podSelector: { matchLabels: { [callsLabel(target)]: 'true', 'app.kubernetes.io/part-of': 'switchboard' } } });
      for (const s of services.filter((x) => x.name !== 'gateway')) {
        const labels = find(objects(), 'Deployment', s.name)!.spec.template.metadata.labels;
        expect({ s: s.name, target, calls: labels[callsLabel(target)] === 'true' }).toEqual({ s: s.name, target, calls: callers.includes(s.name) });
      }
    }
  });

  it('inlines no secret: no Secret object, every secret variable by secretKeyRef', () => {
    expect(objects().filter((o) => o.kind === 'Secret')).toEqual([]);
    const secretish = /SECRET|_URL$|TOKEN|ENCRYPTION|PASSWORD/;
    for (const o of objects()) {
      for (const c of o.spec?.template?.spec?.containers ?? []) {
        for (const e of c.env ?? []) if (secretish.test(e.name) && !/_URL$/.test(e.name)) expect({ o: o.metadata.name, e: e.name, value: e.value }).toEqual({ o: o.metadata.name, e: e.name, value: undefined });
        for (const e of c.env ?? []) if (['DATABASE_URL', 'REDIS_URL', 'MONGO_URL'].includes(e.name)) expect(e.valueFrom?.secretKeyRef?.name).toBe(SECRET_NAME);
      }
    }
    const config = find(objects(), 'ConfigMap', 'switchboard-config')!;
    for (const k of Object.keys(config.data)) expect(k).not.toMatch(/SECRET|TOKEN|DATABASE_URL|REDIS_URL|MONGO_URL|ENCRYPTION/);
  });

  it('has an Ingress with TLS and long timeouts for WebSocket upgrades on /graphql, and a migration Job', () => {
    const ing = objects().find((o) => o.kind === 'Ingress')!;
    expect(ing.spec.tls[0].secretName).toBeTruthy();
    expect(ing.spec.tls[0].hosts).toContain(ing.spec.rules[0].host);
    expect(ing.spec.rules[0].http.paths).toContainEqual(expect.objectContaining({ path: '/graphql', backend: { service: { name: 'gateway', port: { name: 'http' } } } }));
    expect(Number(ing.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(ing.metadata.annotations!['nginx.ingress.kubernetes.io/configuration-snippet']).toMatch(/Upgrade \$http_upgrade/);
    const job = find(objects(), 'Job', 'migrate')!;
    const c = job.spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'SERVICE_MAIN', value: 'packages/kit/src/migrate-cli.ts' });
    expect(c.env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.name).toBe(SECRET_NAME);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(existsSync(path.join(REPOSITORY_ROOT, 'packages/kit/src/migrate-cli.ts'))).toBe(true);
  });
});

describe('deploy/k8s/overlays/prod/secrets.example.env', () => {
  it('shows Sentinel and replica-set URLs and no real secret', () => {
    const text = readFileSync(path.join(K8S, 'overlays/prod/secrets.example.env'), 'utf8');
    expect(text).toMatch(/^REDIS_URL=redis\+sentinel:\/\//m);
    expect(text).toMatch(/^MONGO_URL=mongodb:\/\/.*replicaSet=/m);
    for (const line of text.split('\n').filter((l) => /^[A-Z_]+=/.test(l))) expect(line).toMatch(/<[^>]+>/);
  });
});
