/**
 * Thrown when a producer tries to publish something the contract does not allow. It is a bug in the
 * producer, never an input problem, so it is an exception rather than a result value.
 */
export class ContractViolationError extends Error {
  override readonly name = 'ContractViolationError';
  readonly code = 'CONTRACT_VIOLATION';

  constructor(
    message: string,
    readonly errors: readonly string[],
    readonly eventType?: string,
  ) {
    super(errors.length > 0 ? `${message}: ${errors.join('; ')}` : message);
  }
}
