import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { request } from '../support/app-harness';
import { freePort } from '../support/child-app';
import { useTestDatabase } from '../support/test-database';
import { type ClusterFacts, idOf, type K8sObject, manifestProblems, parseYamlObjects, renderKustomization } from './kubernetes-rules';

const OVERLAYS = ['staging', 'production', 'canary'] as const;

// the kinds we ship, each checked against the Kubernetes schema by its kubernetes-models class
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
// custom resources kubernetes-models has no schema for: kubernetes-rules.ts checks their shape
const CUSTOM_KINDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor']);

function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    if (CUSTOM_KINDS.has(key)) continue;
    const Model = MODELS[key];
    if (!Model) {
      problems.push(`${idOf(object)}: ${key} has no schema here`);
      continue;
    }
    try {
      new Model(object as never).validate();
    } catch (error) {
      problems.push(`${idOf(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

const rendered = new Map<string, K8sObject[]>(OVERLAYS.map((overlay) => [overlay, renderKustomization(resolve('k8s/overlays', overlay))]));
const secretTemplate = parseYamlObjects(readFileSync(resolve('k8s/base/secret.template.yaml'), 'utf8'));
const probePaths = new Set(
  [...rendered.values()].flat().flatMap((object) => {
    if (object.kind !== 'Deployment') return [];
    const containers = (object.spec as { template: { spec: { containers: Array<Record<string, { httpGet?: { path: string } }>> } } }).template.spec.containers;
    return containers.flatMap((container) => ['startupProbe', 'readinessProbe', 'livenessProbe'].map((kind) => container[kind]?.httpGet?.path ?? ''));
  }),
);

describe('k8s/: every overlay rendered with kubectl kustomize, validated and checked against the running app', () => {
  const db = useTestDatabase();
  let facts: ClusterFacts;

  beforeAll(async () => {
    // ask the built app, as API and as worker, which probe paths it answers 200
    const servedBy = async (role: 'api' | 'worker'): Promise<Set<string>> => {
      const running = await db.startApp({ APP_ROLE: role });
      const served = new Set<string>();
      for (const path of probePaths) if ((await request(`${running.baseUrl}${path}`)).status === 200) served.add(path);
      await running.close();
      return served;
    };
    facts = { servedPaths: { api: await servedBy('api'), worker: await servedBy('worker') }, secretName: secretTemplate[0].metadata.name };
  });

  it.each(OVERLAYS)('%s: every object is valid against the Kubernetes schema (kubernetes-models)', (overlay) => {
    expect(schemaProblems(rendered.get(overlay)!)).toEqual([]);
  });

  it.each(OVERLAYS)('%s: keeps every invariant (probes on served routes, resources, non-root, grace > drain, selectors, no :latest)', (overlay) => {
    expect(manifestProblems(rendered.get(overlay)!, facts)).toEqual([]);
  });

  it('renders the objects the issue lists, in every overlay', () => {
    const listing = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, rendered.get(overlay)!.map(idOf).sort()]));
    for (const overlay of OVERLAYS) {
      expect(listing[overlay]).toEqual(
        expect.arrayContaining([
          'Deployment/wxmp-api',
          'Deployment/wxmp-worker',
          'Service/wxmp-api',
          'Ingress/wxmp-api',
          'HorizontalPodAutoscaler/wxmp-api',
          'PodDisruptionBudget/wxmp-api',
          'Job/wxmp-migrate',
          'NetworkPolicy/wxmp-default-deny',
          'ServiceMonitor/wxmp-backend',
        ]),
      );
    }
    expect(listing.canary).toContain('Deployment/wxmp-api-canary');
    expect(listing.production).not.toContain('Deployment/wxmp-api-canary');
  });

  it('the Secret template is a valid Secret with keys and no values', () => {
    expect(schemaProblems(secretTemplate)).toEqual([]);
    const values = Object.values((secretTemplate[0] as { stringData?: Record<string, string> }).stringData ?? {});
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((value) => value === '')).toBe(true);
    // and it is not applied with the overlays (an empty Secret would replace the real one)
    for (const overlay of OVERLAYS) expect(rendered.get(overlay)!.some((object) => object.kind === 'Secret')).toBe(false);
  });

  it('canary: the new image behind the same Service, same pod spec otherwise, its migrations first', () => {
    const objects = rendered.get('canary')!;
    const deployment = (name: string) => objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!;
    type Template = { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }>; topologySpreadConstraints?: unknown } };
    const stable = (deployment('wxmp-api').spec as { template: Template }).template;
    const canary = (deployment('wxmp-api-canary').spec as { template: Template }).template;
    expect(canary.metadata.labels.track).toBe('canary');
    expect(canary.spec.containers[0].image).not.toBe(stable.spec.containers[0].image);
    const comparable = (template: Template) => ({
      ...template.spec,
      topologySpreadConstraints: undefined,
      containers: template.spec.containers.map((container) => ({ ...container, image: undefined })),
    });
    expect(comparable(canary)).toEqual(comparable(stable));
    const selector = (objects.find((object) => idOf(object) === 'Service/wxmp-api')!.spec as { selector: Record<string, string> }).selector;
    for (const template of [stable, canary]) expect(Object.entries(selector).every(([key, value]) => template.metadata.labels[key] === value)).toBe(true);
    const job = objects.find((object) => idOf(object) === 'Job/wxmp-migrate')!;
    expect((job.spec as { template: Template }).template.spec.containers[0].image).toBe(canary.spec.containers[0].image);
  });

  it('fails on purpose: a broken manifest is reported, one problem per broken invariant', () => {
    const objects = structuredClone(rendered.get('production')!);
    const api = objects.find((object) => idOf(object) === 'Deployment/wxmp-api')!;
    const pod = (api.spec as { template: { spec: { terminationGracePeriodSeconds: number; containers: Array<Record<string, unknown>> } } }).template.spec;
    pod.terminationGracePeriodSeconds = 20;
    (pod.containers[0].readinessProbe as { httpGet: { path: string } }).httpGet.path = '/healthz';
    pod.containers[0].image = 'ghcr.io/example/wxmp-backend:latest';
    const hpa = objects.find((object) => object.kind === 'HorizontalPodAutoscaler')!;
    (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name = 'wxmp-apii';
    expect(manifestProblems(objects, facts)).toEqual([
      'Deployment/wxmp-api container api: image ghcr.io/example/wxmp-backend:latest uses :latest',
      'Deployment/wxmp-api container api: readinessProbe path /healthz is not a route the built app serves as api',
      'Deployment/wxmp-api container api: readiness must be /health/ready',
      'Deployment/wxmp-api: terminationGracePeriodSeconds 20 s is not longer than preStop + SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS + SHUTDOWN_FORCE_EXIT_MS = 35 s',
      'HorizontalPodAutoscaler/wxmp-api: scales Deployment/wxmp-apii, which is not rendered',
    ]);
    // and the schema check catches a wrong type
    (api.spec as { replicas: unknown }).replicas = 'three';
    expect(schemaProblems([api])).toEqual([expect.stringMatching(/^Deployment\/wxmp-api: .*replicas must be integer/)]);
  });

  it('the ServiceMonitor target answers: /metrics on METRICS_PORT of the built app', async () => {
    const config = rendered.get('production')!.find((object) => object.kind === 'ConfigMap')!.data!;
    expect(config.METRICS_PORT).toBe('9464');
    // the app listens on a free port in the test, as it would on 9464 in the pod
    const metricsPort = await freePort();
    const running = await db.startApp({ METRICS_PORT: String(metricsPort) });
    const metrics = await request<string>(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('http_server_requests_seconds');
    await running.close();
  });
});
