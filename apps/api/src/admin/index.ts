// The admin feature's public face (the CLI creates accounts with the same password rules).
export { AdminModule } from './admin.module';
export { hashPassword, MIN_PASSWORD_LENGTH } from './password-hasher';
export { MAX_PASSWORD_LENGTH, USERNAME_PATTERN } from './account-rules';
export { type AuditActor, type AuditEntry, AuditLogService } from './audit-log.service';
export { AuditActors } from './audit-actors';
export { checkPageDepth, MAX_PAGE_DEPTH, PAGE_TOO_DEEP } from './admin-paging';
