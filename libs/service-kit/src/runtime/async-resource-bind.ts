import { AsyncResource } from 'node:async_hooks';

/**
 * `AsyncResource#bind` as Node.js 25 has it (nodejs/node#58618, DEP0172 End-of-Life): the bound function
 * without the deprecated `asyncResource` accessor property.
 *
 * Why we replace a core method: on Node 20 every `bind` also builds two `util.deprecate` wrappers, resets
 * their prototypes (new hidden classes, allocated straight in old space) and turns the bound function
 * into a dictionary-mode object. Fastify binds one function per request that has a body, so at ~1,900
 * requests/s that was a quarter of everything the ingress kept past a young-generation GC (V8 sampling
 * heap profile), and the scavenges it caused were the largest part of the create p99
 * (docs/benchmarks.md). Nothing in this code base or its dependencies reads `.asyncResource`.
 *
 * Installed only where the running Node.js still adds the property; elsewhere a no-op. Returns whether
 * it replaced the method. `target` is for tests (a subclass), so the real class stays untouched there.
 */
export function useLeanAsyncResourceBind(target: typeof AsyncResource = AsyncResource): boolean {
  const probe = new target('scimbridge-bind-probe').bind(() => undefined);
  if (!Object.prototype.hasOwnProperty.call(probe, 'asyncResource')) return false;
  Object.defineProperty(target.prototype, 'bind', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function bind<Func extends (...args: never[]) => unknown>(this: AsyncResource, fn: Func, thisArg?: unknown): Func {
      if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper needs the resource and its own `this`
      const resource = this;
      const target = fn as unknown as (...a: unknown[]) => unknown;
      const bound =
        thisArg === undefined
          ? function (this: unknown, ...args: unknown[]): unknown {
              return resource.runInAsyncScope(target, this, ...args);
            }
          : resource.runInAsyncScope.bind(resource, target, thisArg);
      Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, writable: false, value: fn.length });
      return bound as unknown as Func;
    },
  });
  return true;
}
