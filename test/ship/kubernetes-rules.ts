import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** One rendered object, as kustomize prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  image?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  topologySpreadConstraints?: Array<{ topologyKey: string }>;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

/** `kubectl kustomize <dir>` parsed into objects. */
export function renderKustomization(dir: string): K8sObject[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { code?: string; stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('kubectl is not on PATH: install it (the k8s/ checks render the overlays with `kubectl kustomize`)');
    throw new Error(`kubectl kustomize ${dir} failed: ${failure.stderr ?? String(error)}`);
  }
  return parseYamlObjects(text);
}

export function parseYamlObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('; '));
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

export const idOf = (object: K8sObject): string => `${object.kind}/${object.metadata.name}`;

const podTemplateOf = (object: K8sObject): PodTemplate | undefined =>
  object.kind === 'Deployment' || object.kind === 'Job' ? ((object.spec as { template: PodTemplate }).template) : undefined;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value);

/** What the running app and the config say, to hold the manifests against. */
export interface ClusterFacts {
  /** Paths the built app answers 200 on its HTTP port with no sign-in, by APP_ROLE. */
  servedPaths: Record<'api' | 'worker', ReadonlySet<string>>;
  /** The Secret the template declares (not rendered: it comes from the secret manager). */
  secretName: string;
}

function preStopMs(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds * 1000;
  const command = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) * 1000 : 0;
}

/**
 * Our invariants over one rendered overlay; one sentence per broken one, [] when all hold.
 */
export function manifestProblems(objects: K8sObject[], facts: ClusterFacts): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((object) => [object.metadata.name, object.data ?? {}]));
  const deployments = byKind('Deployment');
  const services = byKind('Service');

  for (const object of objects) {
    if (!object.metadata.namespace) problems.push(`${idOf(object)}: no namespace (the overlay must set one)`);
  }

  for (const workload of [...deployments, ...byKind('Job')]) {
    const template = podTemplateOf(workload)!;
    const pod = template.spec;
    const id = idOf(workload);
    const role = template.metadata?.labels?.['app.kubernetes.io/component'];
    const podNonRoot = pod.securityContext?.runAsNonRoot === true && (pod.securityContext.runAsUser ?? 1) !== 0;
    for (const container of pod.containers) {
      const where = `${id} container ${container.name}`;
      const image = container.image ?? '';
      if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:[\w][\w.-]{0,127}$/.test(image.split('/').pop() ?? '')) {
        problems.push(`${where}: image ${image} has no tag or digest`);
      } else if (/:latest$/.test(image)) problems.push(`${where}: image ${image} uses :latest`);
      const resources = container.resources;
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) if (!resources?.[kind]?.[resource]) problems.push(`${where}: no ${kind}.${resource}`);
      }
      const security = container.securityContext;
      const nonRoot = podNonRoot || (security?.runAsNonRoot === true && (security.runAsUser ?? 1) !== 0);
      if (!nonRoot) problems.push(`${where}: not runAsNonRoot`);
      if (security?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (security?.privileged === true) problems.push(`${where}: privileged`);
      if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem not read-only`);
      if (!security?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities not dropped (drop: [ALL])`);
      if (!container.volumeMounts?.some((mount) => mount.mountPath === '/tmp')) problems.push(`${where}: no writable /tmp (emptyDir) beside the read-only root`);
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !configMaps.has(source.configMapRef.name)) problems.push(`${where}: ConfigMap ${source.configMapRef.name} is not rendered`);
        if (source.secretRef && source.secretRef.name !== facts.secretName) problems.push(`${where}: Secret ${source.secretRef.name} is not the templated ${facts.secretName}`);
      }
      if (workload.kind === 'Job') continue;

      // probes: all three, HTTP, on a path the running app serves, on the port PORT names
      const config = Object.assign({}, ...(container.envFrom ?? []).map((source) => configMaps.get(source.configMapRef?.name ?? '') ?? {})) as Record<string, string>;
      const served = facts.servedPaths[role === 'worker' ? 'worker' : 'api'];
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const probe = container[kind]?.httpGet;
        if (!probe) {
          problems.push(`${where}: no ${kind}`);
          continue;
        }
        if (!served.has(probe.path ?? '')) problems.push(`${where}: ${kind} path ${probe.path} is not a route the built app serves as ${role}`);
        const port = typeof probe.port === 'number' ? probe.port : container.ports?.find((candidate) => candidate.name === probe.port)?.containerPort;
        if (port === undefined || String(port) !== (config.PORT ?? '3000')) problems.push(`${where}: ${kind} port ${probe.port} is not the app's PORT ${config.PORT ?? '3000'}`);
      }
      if (container.readinessProbe?.httpGet?.path !== '/health/ready') problems.push(`${where}: readiness must be /health/ready`);
      if (container.livenessProbe?.httpGet?.path !== '/health/live') problems.push(`${where}: liveness must be /health/live`);
      const metricsPort = container.ports?.find((candidate) => candidate.name === 'metrics')?.containerPort;
      if (config.METRICS_PORT && String(metricsPort) !== config.METRICS_PORT) problems.push(`${where}: port "metrics" is not METRICS_PORT ${config.METRICS_PORT}`);

      // the app exits by itself before the kubelet's SIGKILL
      const ms = (name: string, fallback: number) => Number(config[name] ?? fallback);
      const needed = preStopMs(container) + ms('SHUTDOWN_DELAY_MS', 0) + ms('SHUTDOWN_DRAIN_MS', 10_000) + ms('SHUTDOWN_FORCE_EXIT_MS', 5_000);
      const grace = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
      if (grace <= needed) {
        problems.push(`${id}: terminationGracePeriodSeconds ${grace / 1000} s is not longer than preStop + SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS + SHUTDOWN_FORCE_EXIT_MS = ${needed / 1000} s`);
      }
      if (role === 'api' && preStopMs(container) === 0) problems.push(`${where}: no preStop pause`);
    }
    if (workload.kind === 'Deployment') {
      const keys = (pod.topologySpreadConstraints ?? []).map((constraint) => constraint.topologyKey);
      if (!keys.includes('kubernetes.io/hostname')) problems.push(`${id}: no topology spread across nodes`);
      const strategy = (workload.spec as { strategy?: { rollingUpdate?: { maxSurge?: unknown; maxUnavailable?: unknown } } }).strategy?.rollingUpdate;
      if (strategy?.maxSurge !== 1 || strategy.maxUnavailable !== 0) problems.push(`${id}: rolling update is not maxSurge 1, maxUnavailable 0`);
      const selector = (workload.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      if (!matches(selector, template.metadata?.labels)) problems.push(`${id}: selector does not match its own pods`);
    }
  }

  // everything that points at workloads points at one that exists
  const podLabels = deployments.map((deployment) => podTemplateOf(deployment)!.metadata?.labels ?? {});
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const spec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas?: number; maxReplicas: number; behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
    if (hpa.apiVersion !== 'autoscaling/v2') problems.push(`${idOf(hpa)}: not autoscaling/v2`);
    const target = deployments.find((deployment) => deployment.kind === spec.scaleTargetRef.kind && deployment.metadata.name === spec.scaleTargetRef.name);
    if (!target) problems.push(`${idOf(hpa)}: scales ${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}, which is not rendered`);
    if ((spec.minReplicas ?? 1) > spec.maxReplicas) problems.push(`${idOf(hpa)}: minReplicas > maxReplicas`);
    if (!(spec.behavior?.scaleDown?.stabilizationWindowSeconds && spec.behavior.scaleDown.stabilizationWindowSeconds > 0)) problems.push(`${idOf(hpa)}: no scale-down stabilisation`);
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
    if (!podLabels.some((labels) => matches(selector, labels))) problems.push(`${idOf(pdb)}: selects no rendered workload`);
  }
  for (const service of services) {
    const selector = (service.spec as { selector?: Record<string, string> }).selector;
    if (!podLabels.some((labels) => matches(selector, labels))) problems.push(`${idOf(service)}: selects no rendered workload`);
  }
  for (const ingress of byKind('Ingress')) {
    const rules = (ingress.spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name?: string; number?: number } } } }> } }> }).rules;
    for (const { backend } of rules.flatMap((rule) => rule.http.paths)) {
      const service = services.find((candidate) => candidate.metadata.name === backend.service.name);
      const ports = (service?.spec as { ports?: Array<{ name?: string; port: number }> } | undefined)?.ports ?? [];
      if (!ports.some((port) => port.name === backend.service.port.name || port.port === backend.service.port.number)) {
        problems.push(`${idOf(ingress)}: backend ${backend.service.name}:${backend.service.port.name ?? backend.service.port.number} is not a rendered Service port`);
      }
    }
  }
  for (const monitor of byKind('ServiceMonitor')) problems.push(...serviceMonitorProblems(monitor, services));
  if (byKind('ServiceMonitor').length === 0) problems.push('no ServiceMonitor');
  for (const kind of ['Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'Job', 'NetworkPolicy']) {
    if (byKind(kind).length === 0) problems.push(`no ${kind} rendered`);
  }
  return problems;
}

/** ServiceMonitor is a CRD kubernetes-models does not know: its shape, checked by hand. */
export function serviceMonitorProblems(monitor: K8sObject, services: K8sObject[]): string[] {
  const problems: string[] = [];
  const id = idOf(monitor);
  if (monitor.apiVersion !== 'monitoring.coreos.com/v1') problems.push(`${id}: apiVersion ${monitor.apiVersion}`);
  const spec = monitor.spec as { selector?: { matchLabels?: Record<string, string> }; endpoints?: Array<Record<string, unknown>> } | undefined;
  const allowed = new Set(['selector', 'endpoints', 'namespaceSelector', 'jobLabel', 'targetLabels', 'podTargetLabels', 'sampleLimit']);
  for (const key of Object.keys(spec ?? {})) if (!allowed.has(key)) problems.push(`${id}: unknown spec field ${key}`);
  const selected = services.filter((service) => matches(spec?.selector?.matchLabels, service.metadata.labels));
  if (selected.length === 0) problems.push(`${id}: selects no rendered Service`);
  if (!Array.isArray(spec?.endpoints) || spec.endpoints.length === 0) problems.push(`${id}: no endpoints`);
  for (const endpoint of spec?.endpoints ?? []) {
    const endpointKeys = new Set(['port', 'path', 'interval', 'scrapeTimeout', 'scheme', 'honorLabels', 'relabelings', 'metricRelabelings']);
    for (const key of Object.keys(endpoint)) if (!endpointKeys.has(key)) problems.push(`${id}: unknown endpoint field ${key}`);
    if (typeof endpoint.port !== 'string') problems.push(`${id}: endpoint port must be a Service port name`);
    if (endpoint.path !== '/metrics') problems.push(`${id}: endpoint path ${String(endpoint.path)} is not /metrics`);
    for (const duration of ['interval', 'scrapeTimeout']) {
      if (endpoint[duration] !== undefined && !/^\d+(ms|s|m)$/.test(String(endpoint[duration]))) problems.push(`${id}: ${duration} is not a duration`);
    }
    for (const service of selected) {
      const ports = (service.spec as { ports?: Array<{ name?: string }> }).ports ?? [];
      if (!ports.some((port) => port.name === endpoint.port)) problems.push(`${id}: ${idOf(service)} has no port named ${String(endpoint.port)}`);
    }
  }
  return problems;
}
