import { ChildApp, spawnApp } from './child-app';
import { EnvOverrides } from './environment';

/**
 * The e2e suite runs the built service as a real process and talks to it over HTTP.
 * In-process booting is not possible under Jest on Node 20: the app's CommonJS
 * dependencies (nestjs-pino, the Prometheus module) require() the ESM-only @nestjs/* 12
 * packages, which Node does natively but Jest's module loader cannot.
 */
export interface RunningApp {
  baseUrl: string;
  child: ChildApp;
  close(): Promise<void>;
}

export async function startApp(env: EnvOverrides): Promise<RunningApp> {
  const child = await spawnApp(env);
  return {
    baseUrl: child.baseUrl,
    child,
    close: async () => {
      if (child.process.exitCode === null) {
        child.process.kill('SIGTERM');
        await child.exited;
      }
    },
  };
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface EnvelopeBody<T = unknown> {
  code: number;
  message: string;
  data: T | null;
  requestId: string;
}

export async function request<T = EnvelopeBody>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON bodies (metrics) are returned as text
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}
