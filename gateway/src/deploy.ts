/**
 * Deployment files that must name every service, generated from the subgraph registry by
 * `npm run compose` and checked in (a test fails when they are stale). Only the marked
 * regions are generated; everything around them is written by hand:
 *
 *   # >>> generated: <region> (npm run compose; do not edit)
 *   …
 *   # <<< generated: <region>
 *
 * A new deployment target is one more entry in `DEPLOYMENT_FILES`: a path and a function
 * from the registry to the text of each region, or `content` for a file generated whole.
 * The Kubernetes base (`deploy/k8s/base/<service>.yaml` per service and its kustomization,
 * `deploy-k8s.ts`) is generated whole, one file per service.
 */
import { REPOSITORY_ROOT, workspaceDirs, type RegisteredSubgraph } from '@switchboard/kit';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayEnv } from './env';
import { BASE_STATIC, baseKustomization, k8sServices, migrationManifests, serviceManifests, toYaml, yamlDocuments, GENERATED_HEADER } from './deploy-k8s';

export interface DeploymentInput {
  root: string;
  /** The subgraphs, in start order. */
  subgraphs: RegisteredSubgraph[];
  gatewayPort: number;
}

/** A file with generated regions between hand-written text, or (`content`) generated whole. */
export type DeploymentFile = {
  /** Relative to the repository root. */
  path: string;
} & ({ regions(input: DeploymentInput): Record<string, string[]> } | { content(input: DeploymentInput): string });

const INFRA_CONDITIONS = { postgres: 'service_healthy', redis: 'service_healthy', mongo: 'service_healthy' } as const;

function healthcheck(port: number, indent: string): string[] {
  return [
    `${indent}healthcheck:`,
    `${indent}  test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:${port}/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]`,
    `${indent}  interval: 5s`,
    `${indent}  timeout: 3s`,
    `${indent}  retries: 30`,
  ];
}

const yamlString = (value: string) => JSON.stringify(value);

export const DEPLOYMENT_FILES: DeploymentFile[] = [
  {
    path: 'Dockerfile',
    regions: ({ root, subgraphs, gatewayPort }) => ({
      workspaces: workspaceDirs(root).map((dir) => {
        const rel = path.relative(root, dir).split(path.sep).join('/');
        return `COPY ${rel}/package.json ${rel}/`;
      }),
      ports: [`EXPOSE ${[gatewayPort, ...subgraphs.map((s) => s.port)].sort((a, b) => a - b).join(" ")}`],
    }),
  },
  {
    path: 'docker-compose.yml',
    regions: ({ subgraphs, gatewayPort }) => {
      const lines: string[] = [];
      for (const s of subgraphs) {
        const needs = s.deploy?.needs ?? ['postgres', 'redis'];
        lines.push(
          `  ${s.name}:`,
          '    <<: *service',
          '    environment:',
          '      <<: *service-env',
          `      SERVICE_MAIN: ${s.main}`,
          `      ${s.portVariable}: ${yamlString(String(s.port))}`,
          ...Object.entries(s.deploy?.env ?? {}).map(([k, v]) => `      ${k}: ${yamlString(v)}`),
          '    depends_on:',
          ...needs.flatMap((n) => [`      ${n}:`, `        condition: ${INFRA_CONDITIONS[n]}`]),
          ...(s.dependsOn ?? []).flatMap((d) => [`      ${d}:`, '        condition: service_healthy']),
          ...healthcheck(s.port, '    '),
          '',
        );
      }
      lines.push(
        '  gateway:',
        '    <<: *service',
        '    environment:',
        '      <<: *service-env',
        '      SERVICE_MAIN: gateway/src/main.ts',
        `      GATEWAY_PORT: ${yamlString(String(gatewayPort))}`,
        ...subgraphs.map((s) => `      ${s.urlVariable}: http://${s.name}:${s.port}/graphql`),
        `    ports: [${yamlString(`${gatewayPort}:${gatewayPort}`)}]`,
        '    depends_on:',
        ...subgraphs.flatMap((s) => [`      ${s.name}:`, '        condition: service_healthy']),
        ...healthcheck(gatewayPort, '    '),
      );
      return { services: lines };
    },
  },
  {
    // Prometheus scrapes every service of the compose stack, with METRICS_TOKEN.
    path: 'deploy/prometheus/prometheus.yml',
    regions: ({ subgraphs, gatewayPort }) => ({
      targets: [`          - gateway:${gatewayPort}`, ...subgraphs.map((s) => `          - ${s.name}:${s.port}`)],
    }),
  },
];

/** The Kubernetes base: one file per service (the gateway and every subgraph) and the kustomization listing them. */
export const K8S_BASE = 'deploy/k8s/base';

export function k8sDeploymentFiles(input: DeploymentInput): DeploymentFile[] {
  const services = k8sServices(input.subgraphs, input.gatewayPort, gatewayEnv as Record<string, { describe: string }>);
  return [
    { path: `${K8S_BASE}/kustomization.yaml`, content: () => GENERATED_HEADER + toYaml(baseKustomization(services)) },
    { path: `${K8S_BASE}/migrate-job.yaml`, content: () => yamlDocuments(migrationManifests(services)) },
    ...services.map((s) => ({ path: `${K8S_BASE}/${s.name}.yaml`, content: () => yamlDocuments(serviceManifests(s, services)) })),
  ];
}

/** Files in the base that are neither hand-written nor generated now (a removed subgraph's). */
export function strayK8sFiles(subgraphs: RegisteredSubgraph[], root = REPOSITORY_ROOT): string[] {
  const dir = path.join(root, K8S_BASE);
  if (!existsSync(dir)) return [];
  const known = new Set([...BASE_STATIC, ...k8sDeploymentFiles({ root, subgraphs, gatewayPort: gatewayDefaultPort() }).map((f) => path.basename(f.path))]);
  return readdirSync(dir).filter((f) => f.endsWith('.yaml') && !known.has(f)).map((f) => `${K8S_BASE}/${f}`);
}

const BEGIN = /^(\s*)# >>> generated: ([\w-]+)/;
const END = /^\s*# <<< generated: ([\w-]+)\s*$/;

/** `text` with the body of every named region replaced; throws when a region has no markers. */
export function fillRegions(text: string, regions: Record<string, string[]>, file = 'file'): string {
  const lines = text.split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const begin = BEGIN.exec(line);
    if (!begin || !(begin[2]! in regions)) continue;
    const name = begin[2]!;
    let j = i + 1;
    while (j < lines.length && END.exec(lines[j]!)?.[1] !== name) j++;
    if (j === lines.length) throw new Error(`${file}: region "${name}" has no end marker "# <<< generated: ${name}"`);
    out.push(...regions[name]!, lines[j]!);
    seen.add(name);
    i = j;
  }
  const missing = Object.keys(regions).filter((r) => !seen.has(r));
  if (missing.length) throw new Error(`${file}: no generated region ${missing.map((m) => `"# >>> generated: ${m}"`).join(', ')}`);
  return out.join('\n');
}

export function gatewayDefaultPort(): number {
  return gatewayEnv.GATEWAY_PORT.parse(undefined, 'GATEWAY_PORT', {}).value!;
}

/** Every deployment file as `npm run compose` would write it now, with what is checked in. */
export function renderDeploymentFiles(subgraphs: RegisteredSubgraph[], root = REPOSITORY_ROOT): { path: string; current: string; fresh: string }[] {
  const input: DeploymentInput = { root, subgraphs, gatewayPort: gatewayDefaultPort() };
  return [...DEPLOYMENT_FILES, ...k8sDeploymentFiles(input)].map((f) => {
    const file = path.join(root, f.path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return { path: f.path, current, fresh: 'content' in f ? f.content(input) : fillRegions(current, f.regions(input), f.path) };
  });
}

export function writeDeploymentFiles(subgraphs: RegisteredSubgraph[], root = REPOSITORY_ROOT): string[] {
  const written: string[] = [];
  for (const f of renderDeploymentFiles(subgraphs, root)) {
    if (f.fresh === f.current) continue;
    mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
    writeFileSync(path.join(root, f.path), f.fresh);
    written.push(path.join(root, f.path));
  }
  for (const stray of strayK8sFiles(subgraphs, root)) {
    rmSync(path.join(root, stray));
    written.push(`${path.join(root, stray)} (removed)`);
  }
  return written;
}
