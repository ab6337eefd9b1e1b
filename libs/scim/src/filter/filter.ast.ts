/**
 * Syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2). Names are kept as written
 * (case included); the binder resolves them against a resource type's schemas.
 */
export interface AttributePath {
  /** Schema URI prefix, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`. */
  readonly uri?: string;
  readonly name: string;
  readonly subAttr?: string;
}

export const COMPARISON_OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export type LogicalOperator = 'and' | 'or';
export type FilterValue = string | number | boolean | null;

export interface ComparisonFilter {
  readonly kind: 'comparison';
  readonly path: AttributePath;
  readonly operator: ComparisonOperator;
  readonly value: FilterValue;
}

export interface PresentFilter {
  readonly kind: 'present';
  readonly path: AttributePath;
}

export interface LogicalFilter {
  readonly kind: 'logical';
  readonly operator: LogicalOperator;
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export interface NotFilter {
  readonly kind: 'not';
  readonly filter: FilterNode;
}

/** `emails[type eq "work" and value co "@x.com"]`: one element must satisfy the whole inner filter. */
export interface ValuePathFilter {
  readonly kind: 'valuePath';
  /** The multi-valued (or complex) attribute; never has `subAttr`. */
  readonly path: AttributePath;
  /** Paths inside are relative to one element: bare sub-attribute names. */
  readonly filter: FilterNode;
}

export type FilterNode = ComparisonFilter | PresentFilter | LogicalFilter | NotFilter | ValuePathFilter;

/** A PATCH `path`: `attrPath` or `valuePath [ "." subAttr ]`. */
export interface PatchPath {
  readonly attribute: AttributePath;
  readonly filter?: FilterNode;
  /** Only with `filter`: `emails[type eq "work"].value`. */
  readonly subAttr?: string;
}
