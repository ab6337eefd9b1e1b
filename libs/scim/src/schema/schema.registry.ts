import type { AttributePath } from '../filter/filter.ast';
import { commonAttributes, schemasAttribute } from './common.attributes';
import { enterpriseUserSchema } from './enterprise-user.schema';
import { groupSchema } from './group.schema';
import { groupResourceType, userResourceType } from './resource-types';
import { attribute, type AttributeDefinition, type ResourceTypeDefinition, type SchemaDefinition } from './schema.types';
import { userSchema } from './user.schema';

/** Where an attribute path points, with names in their canonical case. */
export type ResolvedPath =
  | {
      readonly kind: 'attribute';
      /** Canonical URN of the extension holding the attribute; absent for core and common attributes. */
      readonly extension?: string;
      readonly attribute: AttributeDefinition;
      readonly subAttribute?: AttributeDefinition;
    }
  /** The whole extension object, e.g. PATCH `path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`. */
  | { readonly kind: 'extension'; readonly extension: string; readonly schema: SchemaDefinition };

export interface ResolveOptions {
  /** `schemas` is filterable and sortable (RFC 7644 §3.4.2.2) but not writable through PATCH. */
  readonly allowSchemas?: boolean;
}

export interface ExtensionModel {
  readonly schema: SchemaDefinition;
  readonly required: boolean;
  /** The extension object seen as one singular complex attribute, so paths into it resolve like `name.x`. */
  readonly asAttribute: AttributeDefinition;
}

/** A resource type with its schemas, indexed for case-insensitive lookups. */
export class ResourceTypeModel {
  readonly coreSchema: SchemaDefinition;
  readonly extensions: readonly ExtensionModel[];
  /** Core and common attributes in output order: `id`, `externalId`, core schema order, then `meta`. */
  readonly coreAttributes: readonly AttributeDefinition[];
  private readonly coreByName = new Map<string, AttributeDefinition>();
  private readonly extensionByUrn = new Map<string, ExtensionModel>();
  private readonly extensionAttributes = new Map<string, Map<string, AttributeDefinition>>();

  constructor(
    readonly definition: ResourceTypeDefinition,
    schemas: ReadonlyMap<string, SchemaDefinition>,
  ) {
    this.coreSchema = requireSchema(schemas, definition.schema);
    const meta = commonAttributes.filter((a) => a.name === 'meta');
    this.coreAttributes = [...commonAttributes.filter((a) => a.name !== 'meta'), ...this.coreSchema.attributes, ...meta];
    for (const attr of [...commonAttributes, ...this.coreSchema.attributes]) this.coreByName.set(attr.name.toLowerCase(), attr);
    this.extensions = definition.schemaExtensions.map(({ schema, required }) => {
      const ext = requireSchema(schemas, schema);
      const model: ExtensionModel = {
        schema: ext,
        required,
        asAttribute: attribute(ext.id, 'complex', ext.description, { required, subAttributes: ext.attributes }),
      };
      this.extensionByUrn.set(ext.id.toLowerCase(), model);
      this.extensionAttributes.set(ext.id, new Map(ext.attributes.map((a) => [a.name.toLowerCase(), a])));
      return model;
    });
  }

  get id(): string {
    return this.definition.id;
  }


  coreAttribute(name: string): AttributeDefinition | undefined {
    return this.coreByName.get(name.toLowerCase());
  }

  extension(urn: string): ExtensionModel | undefined {
    return this.extensionByUrn.get(urn.toLowerCase());
  }

  extensionAttribute(urn: string, name: string): AttributeDefinition | undefined {
    return this.extensionAttributes.get(urn)?.get(name.toLowerCase());
  }

  isCoreSchema(urn: string): boolean {
    return urn.toLowerCase() === this.coreSchema.id.toLowerCase();
  }

  /**
   * Resolves `[uri:]name[.subAttr]`. Names are case-insensitive (RFC 7643 §2.1). A name without a URI is
   * looked up in the core schema first, then in the extensions: IdPs write `department` as often as the
   * fully qualified name, and within one resource type the short name is unambiguous.
   */
  resolve(path: AttributePath, options: ResolveOptions = {}): ResolvedPath | undefined {
    let extension: string | undefined;
    let attr: AttributeDefinition | undefined;
    if (path.uri !== undefined) {
      const whole = this.extension(`${path.uri}:${path.name}${path.subAttr !== undefined ? `.${path.subAttr}` : ''}`);
      if (whole) return { kind: 'extension', extension: whole.schema.id, schema: whole.schema };
      if (this.isCoreSchema(path.uri)) {
        attr = this.coreAttribute(path.name);
      } else {
        const ext = this.extension(path.uri);
        if (!ext) return undefined;
        extension = ext.schema.id;
        attr = this.extensionAttribute(extension, path.name);
      }
    } else if (options.allowSchemas === true && path.name.toLowerCase() === 'schemas') {
      attr = schemasAttribute;
    } else {
      attr = this.coreAttribute(path.name);
      if (!attr) {
        for (const ext of this.extensions) {
          attr = this.extensionAttribute(ext.schema.id, path.name);
          if (attr) {
            extension = ext.schema.id;
            break;
          }
        }
      }
    }
    if (!attr) return undefined;
    if (path.subAttr === undefined) return { kind: 'attribute', ...(extension ? { extension } : {}), attribute: attr };
    const sub = subAttributeOf(attr, path.subAttr);
    if (!sub) return undefined;
    return { kind: 'attribute', ...(extension ? { extension } : {}), attribute: attr, subAttribute: sub };
  }
}

const subAttributeIndex = new WeakMap<AttributeDefinition, ReadonlyMap<string, AttributeDefinition>>();

/** Case-insensitive sub-attribute lookup; indexed once per definition since it runs for every value. */
export function subAttributeOf(attr: AttributeDefinition, name: string): AttributeDefinition | undefined {
  let index = subAttributeIndex.get(attr);
  if (!index) {
    index = new Map((attr.subAttributes ?? []).map((sub) => [sub.name.toLowerCase(), sub]));
    subAttributeIndex.set(attr, index);
  }
  return index.get(name.toLowerCase());
}

function requireSchema(schemas: ReadonlyMap<string, SchemaDefinition>, id: string): SchemaDefinition {
  const schema = schemas.get(id);
  if (!schema) throw new Error(`schema ${id} is not registered`);
  return schema;
}

/** The schemas and resource types a service provider offers; the default one is User (+ Enterprise) and Group. */
export class SchemaRegistry {
  private readonly schemaById: ReadonlyMap<string, SchemaDefinition>;
  private readonly typeById = new Map<string, ResourceTypeModel>();

  constructor(
    readonly schemaDefinitions: readonly SchemaDefinition[],
    readonly resourceTypeDefinitions: readonly ResourceTypeDefinition[],
  ) {
    this.schemaById = new Map(schemaDefinitions.map((s) => [s.id, s]));
    for (const type of resourceTypeDefinitions) this.typeById.set(type.id.toLowerCase(), new ResourceTypeModel(type, this.schemaById));
  }

  /** Throws a plain Error: an unknown resource type is a programming error, answered with a 500. */
  resourceType(id: string): ResourceTypeModel {
    const model = this.typeById.get(id.toLowerCase());
    if (!model) throw new Error(`unknown resource type ${id}`);
    return model;
  }

  resourceTypes(): readonly ResourceTypeModel[] {
    return [...this.typeById.values()];
  }

  schema(id: string): SchemaDefinition | undefined {
    return this.schemaDefinitions.find((s) => s.id.toLowerCase() === id.toLowerCase());
  }

  /** The core schema URN of any registered resource type, to spot a Group body sent to /Users. */
  isAnyCoreSchema(urn: string): boolean {
    return this.resourceTypes().some((type) => type.isCoreSchema(urn));
  }
}

export const defaultRegistry = new SchemaRegistry(
  [userSchema, enterpriseUserSchema, groupSchema],
  [userResourceType, groupResourceType],
);

/** Every entry point takes the resource type by id, and optionally a registry with custom schemas. */
export interface ResourceTypeOptions {
  readonly resourceType: string;
  readonly registry?: SchemaRegistry;
}

export function resourceTypeModel(options: ResourceTypeOptions): ResourceTypeModel {
  return (options.registry ?? defaultRegistry).resourceType(options.resourceType);
}
