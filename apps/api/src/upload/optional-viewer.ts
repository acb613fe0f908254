import { Injectable } from '@nestjs/common';
import { AppError, type Principal } from '@app/http';
import { AuthSessionService } from '../auth';

/**
 * The caller of a public route that still serves more to a signed-in owner (GET /files/:id): the
 * principal of a valid bearer token, else null. An invalid or expired token is anonymous here,
 * not a 401: the file may be public, and a private one answers 404 to strangers anyway.
 */
@Injectable()
export class OptionalViewer {
  constructor(private readonly sessions: AuthSessionService) {}

  async of(authorization: string | undefined): Promise<Principal | null> {
    const [scheme, token] = (authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) return null;
    try {
      return await this.sessions.authenticate(token);
    } catch (error) {
      // the session store cannot answer (503/504): say so rather than pretend the owner is a stranger
      if (error instanceof AppError && error.status >= 500) throw error;
      return null;
    }
  }
}
