import { Injectable } from '@nestjs/common';

/**
 * Whether this instance should receive new traffic. Flipped the moment SIGTERM arrives,
 * so the readiness probe fails while in-flight requests still drain.
 */
@Injectable()
export class ReadinessState {
  private shuttingDown = false;

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
