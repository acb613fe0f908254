import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { JOB_HANDLER_METADATA, type JobHandlerFunction } from './job-handler.decorator';
import { JobRegistry } from './job-registry';
import type { AnyJobType } from './job-type';

/**
 * Finds every @JobHandler method on the app's providers once, at start (nothing is looked up per
 * job), and registers it; two handlers for one type stop the boot.
 */
@Injectable()
export class JobsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: JobRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // request-scoped providers have no instance to call outside a request
      if (!wrapper.isDependencyTreeStatic() || typeof instance !== 'object' || instance === null) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const type = Reflect.getMetadata(JOB_HANDLER_METADATA, fn) as AnyJobType | undefined;
        if (!type) continue;
        const handler = (fn as JobHandlerFunction<object>).bind(instance);
        this.registry.register(type, handler, `${instance.constructor.name}.${method}`);
      }
    }
  }
}
