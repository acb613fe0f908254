import { InitUsers1763942400000 } from './1763942400000-init-users';
import { AdminAccountsAndAuditLogs1764000000000 } from './1764000000000-admin-accounts-and-audit-logs';
import { AuthSessions1764100000000 } from './1764100000000-auth-sessions';
import { OutboxAndHandledEvents1764600000000 } from './1764600000000-outbox-and-handled-events';
import { SessionLifetimeAndReuse1765000000000 } from './1765000000000-session-lifetime-and-reuse';
import { AuditClientRequestId1765000000001 } from './1765000000001-audit-client-request-id';
import { Catalogue1765100000000 } from './1765100000000-catalogue';
import { Orders1765100001000 } from './1765100001000-orders';
import { Files1765300000000 } from './1765300000000-files';

/** Every migration, oldest first. Listed explicitly so the build needs no file globbing. */
export const migrations = [
  InitUsers1763942400000,
  AdminAccountsAndAuditLogs1764000000000,
  AuthSessions1764100000000,
  OutboxAndHandledEvents1764600000000,
  SessionLifetimeAndReuse1765000000000,
  AuditClientRequestId1765000000001,
  Catalogue1765100000000,
  Orders1765100001000,
  Files1765300000000,
];
