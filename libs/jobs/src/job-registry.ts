import { Injectable } from '@nestjs/common';
import type { JobHandlerFunction } from './job-handler.decorator';
import type { AnyJobType, JobType } from './job-type';

export interface RegisteredJobType {
  type: AnyJobType;
  handler: JobHandlerFunction<object>;
  /** Where the handler lives, for messages: `OrderTimeouts.cancelUnpaid`. */
  owner: string;
}

/** Every job type this build can run, with its one handler (found by JobsExplorer, or registered by libs/events). */
@Injectable()
export class JobRegistry {
  private readonly entries = new Map<string, RegisteredJobType>();

  register<P extends object>(type: JobType<P>, handler: JobHandlerFunction<P>, owner: string): void {
    const existing = this.entries.get(type.name);
    if (existing) {
      throw new Error(`job type ${type.name} has two handlers: ${existing.owner} and ${owner}; a job type has exactly one`);
    }
    this.entries.set(type.name, { type, handler: handler as JobHandlerFunction<object>, owner });
  }

  get(name: string): RegisteredJobType | undefined {
    return this.entries.get(name);
  }

  all(): RegisteredJobType[] {
    return [...this.entries.values()];
  }
}
