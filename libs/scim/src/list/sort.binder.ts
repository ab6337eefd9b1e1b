import { ScimError } from '../errors/scim.error';
import type { AttributePath } from '../filter/filter.ast';
import { stepsFor, type BoundStep } from '../filter/filter.binder';
import { subAttributeOf, type ResourceTypeModel } from '../schema/schema.registry';

/**
 * The path `sortBy` names, down to a simple attribute. A complex attribute sorts by its `value`
 * (`sortBy=emails` → `emails.value`); RFC 7644 §3.4.2.3 asks for a sub-attribute, but the meaning is plain.
 */
export function bindSortKey(model: ResourceTypeModel, sortBy: AttributePath): BoundStep[] {
  const steps = stepsFor(model, sortBy, (detail) => ScimError.invalidValue(`cannot sort: ${detail}`));
  const leaf = (steps[steps.length - 1] as BoundStep).attribute;
  if (leaf.type !== 'complex') return steps;
  const value = subAttributeOf(leaf, 'value');
  if (!value) throw ScimError.invalidValue(`cannot sort by the complex attribute "${leaf.name}": name one of its sub-attributes`);
  return [...steps, { key: value.name, attribute: value }];
}
