/** The shape of every JSON body the API sends: `code` 0 is success. */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T | null;
  requestId: string;
}

export function successEnvelope<T>(data: T, requestId: string): Envelope<T> {
  return { code: 0, message: 'ok', data: data ?? null, requestId };
}
