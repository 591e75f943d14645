/**
 * A minimal kustomize renderer for the features deploy/k8s uses — `resources` (files and
 * directories with a kustomization), `namespace`, `images`, `replicas` and `patches`
 * (JSON 6902 lists, or strategic-merge maps, selected by `target` kind / name /
 * labelSelector) — so the manifest test runs where `kubectl` is not installed. Where it is,
 * the test renders with both and checks they agree.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

interface Target {
  kind?: string;
  name?: string;
  labelSelector?: string;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService']);

function readDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && 'kind' in o);
}

function matches(o: K8sObject, t: Target): boolean {
  if (t.kind && o.kind !== t.kind) return false;
  if (t.name && o.metadata.name !== t.name) return false;
  if (t.labelSelector) {
    for (const term of t.labelSelector.split(',')) {
      const [k, v] = term.split('=').map((x) => x.trim());
      if (o.metadata.labels?.[k!] !== v) return false;
    }
  }
  return true;
}

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

function applyJson6902(doc: any, ops: { op: string; path: string; value?: unknown }[]): void {
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map(unescape);
    const last = parts.pop()!;
    let parent = doc;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
      if (parent === undefined) throw new Error(`patch path ${op.path} does not exist`);
    }
    const key = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : last;
    if (op.op === 'remove') {
      if (!(key in parent)) throw new Error(`patch path ${op.path} does not exist`);
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (op.op === 'replace') {
      if (!(key in parent)) throw new Error(`patch path ${op.path} does not exist`);
      parent[key] = structuredClone(op.value);
    } else if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(op.value));
      else parent[key] = structuredClone(op.value);
    } else throw new Error(`unsupported JSON patch op ${op.op}`);
  }
}

/** Strategic merge as far as we use it: maps merge, lists of named items merge by name, other lists replace. */
function merge(into: any, patch: any): any {
  if (Array.isArray(patch)) {
    if (Array.isArray(into) && patch.every((p) => p && typeof p === 'object' && 'name' in p)) {
      const out = [...into];
      for (const p of patch) {
        const i = out.findIndex((o) => o?.name === p.name);
        if (i >= 0) out[i] = merge(out[i], p);
        else out.push(p);
      }
      return out;
    }
    return structuredClone(patch);
  }
  if (patch && typeof patch === 'object') {
    const out = { ...(into && typeof into === 'object' ? into : {}) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = merge(out[k], v);
    }
    return out;
  }
  return patch;
}

/** Renders the kustomization in `dir` into a list of objects. */
export function kustomizeLite(dir: string): K8sObject[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, any>;
  const known = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'replicas', 'patches']);
  for (const key of Object.keys(k)) if (!known.has(key)) throw new Error(`kustomize-lite: ${dir}: unsupported field "${key}"`);
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    objects.push(...(statSync(p).isDirectory() ? kustomizeLite(p) : readDocs(p)));
  }
  objects = objects.map((o) => structuredClone(o));
  for (const patch of k.patches ?? []) {
    const body = patch.patch ?? readFileSync(path.join(dir, patch.path), 'utf8');
    const parsed = parse(body);
    const target: Target = patch.target ?? { kind: parsed.kind, name: parsed.metadata?.name };
    const selected = objects.filter((o) => matches(o, target));
    if (!selected.length) throw new Error(`kustomize-lite: patch target ${JSON.stringify(target)} matches nothing`);
    for (const o of selected) {
      if (Array.isArray(parsed)) applyJson6902(o, parsed);
      else {
        const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = parsed;
        Object.assign(o, merge(o, rest));
      }
    }
  }
  for (const r of k.replicas ?? []) {
    for (const o of objects) if (o.metadata.name === r.name && 'replicas' in (o.spec ?? {})) o.spec.replicas = r.count;
  }
  for (const image of k.images ?? []) {
    const visit = (containers: any[] | undefined) => {
      for (const c of containers ?? []) {
        const [name, tag] = String(c.image).split(':');
        if (name !== image.name) continue;
        c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
      }
    };
    for (const o of objects) {
      const spec = o.spec?.template?.spec;
      visit(spec?.containers);
      visit(spec?.initContainers);
    }
  }
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return objects;
}

/** The same objects from `kubectl kustomize` output. */
export function parseRendered(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && 'kind' in o);
}
