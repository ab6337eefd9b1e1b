import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { useLeanAsyncResourceBind } from './async-resource-bind';

/** A subclass, so the real AsyncResource of this jest worker stays as Node made it. */
class Probe extends AsyncResource {}

describe('useLeanAsyncResourceBind', () => {
  const installed = useLeanAsyncResourceBind(Probe);

  it('replaces bind only where Node.js still adds the deprecated property (Node < 25)', () => {
    const nodeAddsIt = Object.prototype.hasOwnProperty.call(new AsyncResource('x').bind(() => undefined), 'asyncResource');
    expect(installed).toBe(nodeAddsIt);
    expect(Object.prototype.hasOwnProperty.call(new Probe('x').bind(() => undefined), 'asyncResource')).toBe(false);
    // installing twice is a no-op
    expect(useLeanAsyncResourceBind(Probe)).toBe(false);
  });

  it('runs the function in the resource scope, with its arguments, `this`, length and return value', () => {
    const resource = new Probe('probe');
    const seen: { id: number; self: unknown; args: unknown[] }[] = [];
    const fn = function (this: unknown, a: number, b: number): number {
      seen.push({ id: executionAsyncId(), self: this, args: [a, b] });
      return a + b;
    };
    const bound = resource.bind(fn);
    const receiver = { name: 'receiver' };
    expect(bound.call(receiver, 2, 3)).toBe(5);
    expect(bound.length).toBe(2);
    // bind(fn, thisArg) is documented Node API; @types/node declares only bind(fn)
    const bindWithThis = resource.bind as unknown as (f: typeof fn, thisArg: unknown) => (a: number, b: number) => number;
    const withThis = bindWithThis.call(resource, fn, 'fixed');
    expect(withThis(4, 5)).toBe(9);
    expect(withThis.length).toBe(2);
    expect(seen).toEqual([
      { id: resource.asyncId(), self: receiver, args: [2, 3] },
      { id: resource.asyncId(), self: 'fixed', args: [4, 5] },
    ]);
  });

  it('carries the AsyncLocalStorage context of where the resource was made', () => {
    const als = new AsyncLocalStorage<string>();
    const bound = als.run('request-1', () => new Probe('probe').bind(() => als.getStore()));
    expect(als.run('elsewhere', () => bound())).toBe('request-1');
  });

  it('refuses a non-function like Node does', () => {
    expect(() => new Probe('probe').bind(42 as unknown as () => void)).toThrow(TypeError);
  });
});
