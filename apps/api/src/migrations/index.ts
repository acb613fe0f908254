import { InitUsers1763942400000 } from './1763942400000-init-users';
import { AdminAccountsAndAuditLogs1764000000000 } from './1764000000000-admin-accounts-and-audit-logs';
import { AuthSessions1764100000000 } from './1764100000000-auth-sessions';
import { SessionLifetimeAndReuse1764200000000 } from './1764200000000-session-lifetime-and-reuse';
import { AuditClientRequestId1764300000000 } from './1764300000000-audit-client-request-id';

/** Every migration, oldest first. Listed explicitly so the build needs no file globbing. */
export const migrations = [
  InitUsers1763942400000,
  AdminAccountsAndAuditLogs1764000000000,
  AuthSessions1764100000000,
  SessionLifetimeAndReuse1764200000000,
  AuditClientRequestId1764300000000,
];
