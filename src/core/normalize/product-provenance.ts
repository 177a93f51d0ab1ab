/**
 * Provenance of a pipeline product as the pipeline declares it: its parents with their roles (science, bias, flat,
 * arc…), the pipeline's name and version, and the parameters of the reduction. The archive writes it into the
 * product's primary header (cards below, recorded like every normalization edit) and keeps it in the catalog with
 * the archived file. It travels from the request to the engine in the record's metadata, as JSON. Pure.
 *
 * Header cards: `PIPENAME`, `PIPEVERS`, `NPARENT`, then `PARNTn` (archive id) and `PROLEn` (role) per parent, and
 * `PIPEPARS` (the parameters as JSON, a long string when it must be).
 *
 * @module
 */
import { z } from 'zod';

/** The role of a parent: a short lower-case word (`science`, `bias`, `flat`, `arc`, `dark`, `standard`…). */
export const roleSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,23}$/, 'a role is a lower-case word of up to 24 characters (science, bias, flat, arc…)');

/** A parameter value of a reduction. */
export const parameterValueSchema = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

/** What a product's provenance holds. */
export const provenanceSchema = z.strictObject({
  /** Every parent, in the order the pipeline gave them; `role` null when it gave none. */
  parents: z.array(z.strictObject({ archiveId: z.string().min(1).max(128), role: roleSchema.nullable() })).max(1000),
  pipeline: z.strictObject({ name: z.string().min(1).max(68), version: z.string().min(1).max(68) }).nullable(),
  parameters: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a parameter name is a word of up to 64 characters'), parameterValueSchema),
});
export type Provenance = z.output<typeof provenanceSchema>;

/** The record metadata key the provenance travels under (a JSON string). */
export const PROVENANCE_KEY = 'provenance';

/** The provenance a record's metadata carries, if any (undefined for a raw frame or a product that declared none). */
export function provenanceOf(metadata: Readonly<Record<string, string | number | boolean>>): Provenance | undefined {
  const text = metadata[PROVENANCE_KEY];
  if (typeof text !== 'string') return undefined;
  const parsed = provenanceSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/** The metadata entry that carries `provenance` to the engine. */
export function provenanceMetadata(provenance: Provenance): Record<string, string> {
  return { [PROVENANCE_KEY]: JSON.stringify(provenance) };
}

/** One provenance card (a header edit of the normalization). */
export interface ProvenanceEdit {
  keyword: string;
  value: string | number;
  comment: string;
}

/** The header cards of a provenance (see the module comment), without the comment prefix. */
export function provenanceEdits(provenance: Provenance): ProvenanceEdit[] {
  const edits: ProvenanceEdit[] = [];
  if (provenance.pipeline) {
    edits.push({ keyword: 'PIPENAME', value: provenance.pipeline.name, comment: 'pipeline that made this product' });
    edits.push({ keyword: 'PIPEVERS', value: provenance.pipeline.version, comment: 'pipeline version' });
  }
  edits.push({ keyword: 'NPARENT', value: provenance.parents.length, comment: 'number of parents' });
  // Card names have 8 characters: PARNT999 is the last (the catalog keeps every parent).
  provenance.parents.slice(0, 999).forEach((parent, i) => {
    edits.push({ keyword: `PARNT${i + 1}`, value: parent.archiveId, comment: 'parent archive id' });
    if (parent.role !== null) edits.push({ keyword: `PROLE${i + 1}`, value: parent.role, comment: `role of PARNT${i + 1}` });
  });
  if (Object.keys(provenance.parameters).length > 0) {
    edits.push({ keyword: 'PIPEPARS', value: JSON.stringify(provenance.parameters), comment: 'pipeline parameters (JSON)' });
  }
  return edits;
}
