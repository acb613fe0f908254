import { CommonError, type ContractRule, PUBLIC_ROUTE, REQUIRED_ROLES, type RequestHeaderDoc, type Role } from '@app/http';
import { type AuthConfig, signsRoute } from './auth.config';
import { AuthError } from './auth.errors';

// the checks of checkSignature() in libs/http/src/access/request-signing.ts
const SIGNING_HEADERS: readonly RequestHeaderDoc[] = [
  { name: 'X-Timestamp', description: 'Unix time in milliseconds; at most 5 minutes off', required: true, schema: { type: 'string', pattern: '^\\d{10,16}$' } },
  { name: 'X-Nonce', description: 'Never reused', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } },
  {
    name: 'X-Signature',
    description: 'Hex HMAC-SHA256 with the session signKey over `METHOD\\npath?query\\ntimestamp\\nnonce\\nsha256hex(body)`',
    required: true,
    schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
  },
];

/**
 * What the AuthGuard adds to a route, read from the same metadata: a bearer token and its 401s
 * unless @Public(), 403 with @Roles(), the signing headers and their 401s where the guard checks a
 * signature (signsRoute: @Signed() routes, every signed-in route with AUTH_SIGNING=all, none with
 * off), 503 when the session store is down.
 */
export function accessContract(config: Pick<AuthConfig, 'signing'>): ContractRule {
  return (route) => {
    if (route.metadata<boolean>(PUBLIC_ROUTE) === true) return null;
    const signed = signsRoute(config.signing, route.config.signed === true);
    return {
      security: [{ bearer: [] }],
      errors: [
        AuthError.Unauthenticated,
        AuthError.InvalidToken,
        AuthError.TokenExpired,
        AuthError.SessionEnded,
        CommonError.ServiceUnavailable,
        ...(route.metadata<Role[]>(REQUIRED_ROLES) ? [AuthError.Forbidden] : []),
        ...(signed ? [AuthError.SignatureRequired, AuthError.SignatureStale, AuthError.SignatureMismatch, AuthError.NonceReused] : []),
      ],
      requestHeaders: signed ? SIGNING_HEADERS : [],
    };
  };
}
