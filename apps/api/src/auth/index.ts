// The auth feature's public face: what other features and the composition root may use.
export { AuthModule } from './auth.module';
export { type AccountLookup, type AccountStanding } from './account-standing';
export { AuthSessionService, type IssuedTokens, type SessionClient } from './auth-session.service';
export { type AuthConfig, authConfig, loadAuthConfig, type SigningMode } from './auth.config';
export { AuthError } from './auth.errors';
export { accessContract } from './access.contract';
