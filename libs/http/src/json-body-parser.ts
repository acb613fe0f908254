import { isUtf8 } from 'node:buffer';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './app-error';
import { CommonError } from './common.errors';
import { MergeRouteConfig } from './route-config';

/** How much structure a JSON body may have; both are checked before JSON.parse runs. */
export interface JsonBodyLimits {
  /** Arrays and objects inside one another. */
  maxDepth: number;
  /** Object keys and array elements of the whole body, counted together. */
  maxKeys: number;
}

export type JsonStructureProblem = 'depth' | 'keys';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

// strings up to this long are skipped byte by byte; a longer one is searched for its end with
// Buffer.indexOf (memchr): a 64 KB base64 encryptedData costs 5 µs instead of 85 µs
const INLINE_STRING_BYTES = 32;

/**
 * The index of the quote that ends the string whose content starts at `from` (or `length` when
 * it never ends: JSON.parse refuses that). `from` must be a character boundary, never the byte
 * after a backslash.
 */
function endOfString(body: Uint8Array, from: number, length: number): number {
  let i = from;
  for (const inlineEnd = Math.min(length, from + INLINE_STRING_BYTES); i < inlineEnd; i++) {
    const byte = body[i];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  if (i >= length) return length;
  const quote = body.indexOf(QUOTE, i);
  if (quote === -1) return length;
  // the quote is escaped when an odd run of backslashes precedes it (the run cannot pass the
  // string's opening quote, and its part before `i` is whole escape pairs)
  let backslashes = 0;
  while (body[quote - 1 - backslashes] === BACKSLASH) backslashes++;
  if ((backslashes & 1) === 0) return quote;
  // escapes in this string: the rest of it byte by byte, which a run of \" cannot make slower
  for (i = quote + 1; i < length; i++) {
    const byte = body[i];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  return length;
}

/**
 * One pass over the raw bytes, counting `{`/`[` depth and members outside strings. JSON.parse
 * itself copes with deep nesting, but what walks the result afterwards (class-transformer,
 * secure-json-parse's filter, the validator) recurses: 10,000 levels was a RangeError (500) and a
 * 1 MB nested body 1.2 s of CPU. Byte-wise is safe for UTF-8 (every byte of a multi-byte
 * character is >= 0x80, so never a quote, bracket or backslash) and needs no decoding first.
 *
 * Members are counted as commas plus containers: exact for non-empty containers, one too many
 * for each empty `{}`/`[]`. The scan does not validate: on text JSON.parse refuses anyway (an
 * unterminated string, stray brackets) its answer does not matter, and on text JSON.parse
 * accepts it reads strings exactly as JSON.parse does.
 *
 * About 2 µs for a typical 1 KB body (bench/json-body-parser.mjs, docs/performance/0025); it
 * stops at the first level or member over the limit, so a hostile body costs only the bytes up
 * to that point.
 */
export function jsonStructureProblem(body: Uint8Array, limits: JsonBodyLimits): JsonStructureProblem | null {
  const { maxDepth, maxKeys } = limits;
  let depth = 0;
  let keys = 0;
  const length = body.length;
  for (let i = 0; i < length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      i = endOfString(body, i + 1, length);
    } else if (byte === COMMA) {
      if (++keys > maxKeys) return 'keys';
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return 'depth';
      if (++keys > maxKeys) return 'keys';
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return null;
}

/** Matches `application/<anything>+json` with or without parameters (RFC 6839). */
export const JSON_SUFFIX_MEDIA_TYPE = /^application\/[^;\s/]+\+json(?:;|$)/;

/**
 * Fastify's JSON parser (secure-json-parse: `__proto__` and `constructor.prototype` keys refused
 * as the instance is configured, default 'error'), preceded by two checks on the raw bytes:
 * invalid UTF-8 is refused (Fastify would decode it to U+FFFD and store that silently) and so is
 * a body over the structure limits. All three answer 400 with their own code.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @KeepRawBody(): the JSON body's bytes stay on the request as `rawBody`. */
    keepRawBody?: boolean;
  }
}

/** A request on a @KeepRawBody() route: the body exactly as received. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the JSON body's bytes as received (`request.rawBody`) on this route, beside the parsed
 * body: a signature over the body (WeChat Pay's callbacks) must be checked over those bytes, and a
 * re-serialised body differs in spacing and key order.
 */
export const KeepRawBody = (): MethodDecorator => MergeRouteConfig({ keepRawBody: true });

function isWellFormedJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const FORBIDDEN_KEY_MESSAGE = 'Request body is refused: "__proto__" and "constructor": { "prototype" } keys are not accepted';

export function createJsonBodyParser(fastify: FastifyInstance, limits: JsonBodyLimits): FastifyBodyParser<Buffer> {
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  return (request, body, done) => {
    const problem = jsonStructureProblem(body, limits);
    if (problem === 'depth') return done(new AppError(CommonError.JsonTooDeep, { message: `${CommonError.JsonTooDeep.message} (at most ${limits.maxDepth} levels)` }), undefined);
    if (problem === 'keys') return done(new AppError(CommonError.JsonTooManyKeys, { message: `${CommonError.JsonTooManyKeys.message} (at most ${limits.maxKeys})` }), undefined);
    // JSON is UTF-8 whatever the charset parameter says (RFC 8259 §8.1)
    if (!isUtf8(body)) return done(new AppError(CommonError.InvalidUtf8), undefined);
    if (request.routeOptions.config.keepRawBody === true) (request as RawBodyRequest).rawBody = body;
    // Fastify's parser answers through done (its type also allows a promise, which it never returns)
    const text = body.toString('utf8');
    void parseJson(request, text, (error, parsed) => {
      // Fastify drops secure-json-parse's reason; JSON that parses plainly was refused for a key: say so
      if ((error as { code?: unknown } | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' && isWellFormedJson(text)) {
        return done(new AppError(CommonError.MalformedJson, { message: FORBIDDEN_KEY_MESSAGE }), undefined);
      }
      return done(error, parsed);
    });
  };
}

/**
 * Registers the parser for `application/json` and the `+json` types. Through Nest's
 * useBodyParser() rather than Fastify directly: Nest registers its own `application/json` parser
 * at init unless one was given to it, and it reads the body as a Buffer, as the checks need
 * (the signed-request hashing taps the raw stream in preParsing, before any of this).
 */
export function installJsonBodyParser(adapter: FastifyAdapter, limits: JsonBodyLimits): void {
  const fastify = adapter.getInstance();
  const parser = createJsonBodyParser(fastify, limits);
  const { bodyLimit } = fastify.initialConfig;
  adapter.useBodyParser('application/json', false, { bodyLimit }, parser);
  adapter.useBodyParser(JSON_SUFFIX_MEDIA_TYPE, false, { bodyLimit }, parser);
}
