import { AppError } from '@app/http';
import { AdminError } from './admin.errors';

/**
 * The last item a dashboard list pages to. OFFSET paging reads and skips every row before the
 * page, so a deep page is a full scan on demand (and a cheap way to walk a whole table); nobody
 * reads page 5,000 of a list: they search.
 */
export const MAX_PAGE_DEPTH = 10_000;

/** What checkPageDepth() refuses with, for the @ApiErrors() of every offset-paged list. */
export const PAGE_TOO_DEEP = AdminError.PageTooDeep;

export function checkPageDepth(query: { page: number; pageSize: number }): void {
  if (query.page * query.pageSize > MAX_PAGE_DEPTH) throw new AppError(AdminError.PageTooDeep);
}
