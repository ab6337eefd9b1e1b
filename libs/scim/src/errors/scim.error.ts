/**
 * The one place where failures become SCIM Error responses (RFC 7644 §3.12). Every module of the library
 * throws `ScimError`; the HTTP layer calls `toScimErrorResponse` once, so an IdP always gets the SCIM
 * error schema with a `scimType` it can act on, and nothing internal leaks from unexpected errors.
 */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** `scimType` values of RFC 7644 Table 9. */
export type ScimErrorType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  /** A string, as RFC 7644 §3.12 shows it. */
  status: string;
  scimType?: ScimErrorType;
  detail?: string;
}

export class ScimError extends Error {
  override readonly name = 'ScimError';

  constructor(
    readonly status: number,
    readonly scimType: ScimErrorType | undefined,
    readonly detail: string,
  ) {
    super(detail);
  }

  static badRequest(scimType: ScimErrorType, detail: string): ScimError {
    return new ScimError(400, scimType, detail);
  }

  static invalidFilter(detail: string): ScimError {
    return new ScimError(400, 'invalidFilter', detail);
  }

  static invalidSyntax(detail: string): ScimError {
    return new ScimError(400, 'invalidSyntax', detail);
  }

  static invalidPath(detail: string): ScimError {
    return new ScimError(400, 'invalidPath', detail);
  }

  static invalidValue(detail: string): ScimError {
    return new ScimError(400, 'invalidValue', detail);
  }

  static noTarget(detail: string): ScimError {
    return new ScimError(400, 'noTarget', detail);
  }

  static mutability(detail: string): ScimError {
    return new ScimError(400, 'mutability', detail);
  }

  /** 409 with `uniqueness`: what Okta expects when it creates a user that already exists. */
  static uniqueness(detail: string): ScimError {
    return new ScimError(409, 'uniqueness', detail);
  }

  static notFound(detail: string): ScimError {
    return new ScimError(404, undefined, detail);
  }

  /** 412: `If-Match` names a version that is no longer current. */
  static preconditionFailed(detail: string): ScimError {
    return new ScimError(412, undefined, detail);
  }
}

export function isScimError(error: unknown): error is ScimError {
  return error instanceof ScimError;
}

export interface ScimErrorResponse {
  httpStatus: number;
  body: ScimErrorBody;
}

export function toScimErrorResponse(error: unknown): ScimErrorResponse {
  if (isScimError(error)) {
    const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(error.status) };
    if (error.scimType !== undefined) body.scimType = error.scimType;
    body.detail = error.detail;
    return { httpStatus: error.status, body };
  }
  // Unexpected errors may carry SQL, stack traces or payload fragments: the IdP gets none of it.
  return {
    httpStatus: 500,
    body: { schemas: [SCIM_ERROR_SCHEMA], status: '500', detail: 'Internal server error' },
  };
}

export function toScimErrorBody(error: unknown): ScimErrorBody {
  return toScimErrorResponse(error).body;
}
