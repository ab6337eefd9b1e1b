/**
 * Events are plain objects with a string discriminant (emmett style), never classes: they cross process
 * boundaries as JSON and are matched with `switch (event.type)`. `schemaVersion` is part of the type so a
 * `...V1` shape can never be mistaken for a later one.
 */
export type VersionedEvent<TType extends string, TVersion extends number, TData> = Readonly<{
  type: TType;
  schemaVersion: TVersion;
  data: TData;
}>;
