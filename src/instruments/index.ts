/**
 * Instrument descriptions as data: the schema, loading from JSON/YAML, the shipped descriptions, and the pure
 * rule evaluators (keyword resolution, conditions, prefixes, image types, archive ids, semesters, paths).
 *
 * @module
 */
export * from './archive-id.js';
export { parseArchiveTemplate, type TemplatePart, type TemplateParse } from './archive-template.js';
export * from './builtin/index.js';
export * from './calibrations.js';
export {
  conditionSchema,
  type Condition,
  type KeywordCondition,
  type KeywordTest,
  type Scalar,
} from './condition.js';
export * from './find-instrument.js';
export * from './header-view.js';
export { COLUMN_TYPES, defaultColumnName, type ColumnType, type KeywordColumn } from './keyword-column.js';
export * from './load.js';
export * from './parse-instrument.js';
export { globToRegExp, isPathAccepted, type PathPattern, type PathRules } from './path-filter.js';
export * from './rules.js';
export * from './schema.js';
export * from './semester.js';
